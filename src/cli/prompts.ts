import { ExitCode, UsageError, V2kError } from '../core/errors.js';
import type { Context } from './context.js';

/**
 * Prompts and spinners, only on a TTY (SPEC §5). They draw on stderr so that stdout keeps
 * only data (and only JSON with --json). Off a TTY, a prompt that would be needed is a
 * usage error naming the flag to pass.
 */

export function needInput(ctx: Context, flag: string, what: string): void {
  if (!ctx.interactive) {
    throw new UsageError(`Missing ${what}: there is no terminal to ask on.`, `Pass ${flag}.`);
  }
}

async function inquirer() {
  return import('@inquirer/prompts');
}

function context(ctx: Context) {
  return { input: ctx.stdin, output: ctx.output.stderr, signal: ctx.stopSignal };
}

/**
 * Runs a prompt; Ctrl-C or a stop signal becomes a clean "cancelled" error (exit 130) instead of
 * a stack. inquirer reads Ctrl-C itself in raw mode, so no SIGINT arrives: the exit code is set here.
 */
async function guard<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'ExitPromptError' || name === 'AbortPromptError' || name === 'AbortError') {
      throw new V2kError('Cancelled.', {
        code: 'cancelled',
        exitCode: ExitCode.INTERRUPTED,
        hint: 'Nothing was changed.',
      });
    }
    throw error;
  }
}

export async function askText(
  ctx: Context,
  options: { message: string; default?: string; validate?: (value: string) => true | string; required?: boolean },
): Promise<string> {
  const { input } = await inquirer();
  return guard(() =>
    input(
      { message: options.message, default: options.default, required: options.required, validate: options.validate },
      context(ctx),
    ),
  );
}

export async function askSecret(ctx: Context, message: string): Promise<string> {
  const { password } = await inquirer();
  return guard(() =>
    password(
      { message, mask: '*', validate: (v) => (v.trim() ? true : 'Enter a key, or press Ctrl-C to stop.') },
      context(ctx),
    ),
  );
}

export async function askChoices<T extends string>(
  ctx: Context,
  options: {
    message: string;
    choices: Array<{ value: T; name?: string; short?: string; description?: string; checked?: boolean }>;
  },
): Promise<T[]> {
  const { checkbox } = await inquirer();
  return guard(() =>
    checkbox<T>(
      {
        message: options.message,
        choices: options.choices,
        pageSize: options.choices.length,
        validate: (chosen) => (chosen.length > 0 ? true : 'Choose at least one event (space to select).'),
      },
      context(ctx),
    ),
  );
}

export async function askConfirm(ctx: Context, message: string, fallback = false): Promise<boolean> {
  const { confirm } = await inquirer();
  return guard(() => confirm({ message, default: fallback }, context(ctx)));
}

export interface Spinner {
  update(text: string): void;
  stop(): void;
}

/** How many spinners draw now: a second one would fight the first for the same line. */
let spinning = 0;

/** An ora spinner on stderr on a TTY; elsewhere nothing, so logs and CI output stay clean. */
export async function startSpinner(ctx: Context, text: string): Promise<Spinner> {
  if (!ctx.interactive) return { update: () => undefined, stop: () => undefined };
  spinning++; // before the import: calls that go slow together start one spinner, not one each
  const { default: ora } = await import('ora');
  const spinner = ora({
    text,
    stream: ctx.output.stderr,
    color: ctx.output.style.level > 0 ? 'cyan' : false,
    isEnabled: true,
    // ora's default puts the terminal in raw mode to swallow typing, and then nothing reads the
    // Ctrl+C (issue 17): keep the terminal as it is, so Ctrl+C is a SIGINT that main.ts handles.
    discardStdin: false,
  }).start();
  let stopped = false;
  return {
    update: (t) => {
      spinner.text = t;
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      spinning--;
      spinner.stop();
    },
  };
}

/** A call the API has not answered after this long gets a spinner (on a terminal). */
const PATIENCE_MS = 1000;

/**
 * On a terminal, wraps `work` so that a wait longer than a second shows a spinner saying what
 * it waits for and until when (issue 17: a hung API looked like a hung CLI). `describe` gets the
 * seconds waited so far. Off a terminal, or while another spinner draws, it only runs `work`.
 */
export function withPatience<T>(ctx: Context, work: Promise<T>, describe: (waitedMs: number) => string): Promise<T> {
  if (!ctx.interactive) return work;
  const started = Date.now();
  let settled = false;
  let spinner: Spinner | undefined;
  let ticker: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    if (spinning > 0) return;
    void startSpinner(ctx, describe(Date.now() - started)).then((s) => {
      spinner = s;
      if (settled) s.stop();
      else ticker = setInterval(() => s.update(describe(Date.now() - started)), 1000);
    });
  }, PATIENCE_MS);
  return work.finally(() => {
    settled = true;
    clearTimeout(timer);
    clearInterval(ticker);
    spinner?.stop();
  });
}
