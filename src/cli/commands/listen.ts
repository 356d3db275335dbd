import { DEFAULT_EXPECT_TIMEOUT_MS } from '../../core/defaults.js';
import { formatDuration } from '../../core/duration.js';
import { ExitCode, UsageError } from '../../core/errors.js';
import { EVENT_TYPES, type EventSubscription } from '../../core/events.js';
import { clip } from '../../core/printable.js';
import {
  createExpectations,
  ExpectationError,
  parseExpectation,
  type Expectation,
} from '../../listener/expectations.js';
import { renderEvent } from '../../listener/pretty.js';
import { createListener } from '../../listener/server.js';
import type { ListenerEvent, ListenerLogger } from '../../listener/types.js';
import type { ConfigStore } from '../config.js';
import { stopExitCode, type Context } from '../context.js';
import { checkEnvFile, setEnvVariable } from '../env-file.js';
import { wrapText } from '../format.js';
import { readSecrets } from '../input.js';
import type { Registration } from '../listen-webhook.js';
import { parseEvents } from '../webhook-view.js';

export interface ListenOptions {
  port: number;
  host: string;
  forward?: string[];
  secret?: string[];
  register?: boolean;
  publicUrl?: string;
  events?: string;
  printSecret?: boolean;
  writeEnv?: string;
  record?: string;
  expect?: string[];
  timeout?: number;
  rejectInvalid?: boolean;
  forwardTimeout?: number;
  verbose?: boolean;
}

/** The variable --write-env sets, the one the README's receivers read. */
const SECRET_VARIABLE = 'V2K_WEBHOOK_SECRET';

export async function run(options: ListenOptions, ctx: Context): Promise<number> {
  const { output } = ctx;
  const expected = parseExpectations(options.expect ?? []);
  const events = checkOptions(options, ctx);
  const timeoutMs = options.timeout ?? (expected.length > 0 ? DEFAULT_EXPECT_TIMEOUT_MS : undefined);
  const expectations = createExpectations(expected);
  const width = output.width;

  let metNow: () => void = () => undefined;
  const logger: ListenerLogger = {
    info: (m) => output.info(m),
    warn: (m) => output.warn(m),
    error: (m) => output.warn(m),
  };
  const listener = await createListener({
    port: options.port,
    host: options.host,
    forward: options.forward ?? [],
    secrets: readSecrets(options.secret, ctx.env),
    rejectInvalid: Boolean(options.rejectInvalid),
    record: options.record,
    forwardTimeoutMs: options.forwardTimeout,
    logger,
    onEvent(event) {
      show(event, options, ctx, width);
      if (expected.length > 0 && expectations.record(event)) metNow();
    },
  });

  let registered: Awaited<ReturnType<typeof register>> | undefined;
  try {
    if (options.register) registered = await register(options, ctx, listener.url, events);
  } catch (error) {
    await listener.close();
    throw error;
  }
  if (registered) listener.addSecret(registered.registration.secret);

  const secretCount = readSecrets(options.secret, ctx.env).length + (registered ? 1 : 0);
  if (!/^(localhost|127(?:\.\d{1,3}){3}|::1)$/i.test(options.host)) {
    output.warn(
      `Bound to ${options.host}: other machines can send this listener deliveries, and it forwards them to your app. Use the default --host 127.0.0.1 unless you mean it.`,
    );
  }
  announce(ctx, options, {
    url: listener.url,
    port: listener.port,
    secretCount,
    registration: registered?.registration,
    expected,
    timeoutMs,
  });

  const outcome = await new Promise<'met' | 'stopped' | 'timeout'>((resolve) => {
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => resolve('timeout'), timeoutMs);
    const finish = (why: 'met' | 'stopped') => {
      clearTimeout(timer);
      resolve(why);
    };
    metNow = () => finish('met');
    if (expected.length > 0 && expectations.met()) finish('met');
    if (ctx.stopSignal.aborted) finish('stopped');
    ctx.stopSignal.addEventListener('abort', () => finish('stopped'), { once: true });
  });

  // Release first, so the platform cancels what it still holds for us instead of failing it against a closed port.
  let code: number = ExitCode.OK;
  if (registered && !(await registered.release())) code = ExitCode.FAILURE;
  await listener.close();

  if (expected.length > 0) {
    const status = expectations.status();
    const met = outcome === 'met' || expectations.met();
    if (output.json) output.jsonLine({ type: 'expectations', ok: met, outcome, expectations: status });
    if (met) output.info(`All expectations met: ${status.map((s) => `${s.pattern} ${s.seen}/${s.count}`).join(', ')}.`);
    else {
      const missing = expectations.missing().map((s) => `  ${s.pattern}: ${s.seen} of ${s.count}`);
      output.info(
        `${outcome === 'timeout' ? `Timed out after ${formatDuration(timeoutMs ?? 0)}` : 'Stopped'} with expectations unmet:\n${missing.join('\n')}`,
      );
      // Ctrl+C before the assertion could finish is an interruption (130), not a verdict.
      return outcome === 'stopped' ? (stopExitCode(ctx.stopSignal) ?? ExitCode.FAILURE) : ExitCode.FAILURE;
    }
  } else if (outcome !== 'met')
    output.info(outcome === 'timeout' ? `Stopped after ${formatDuration(timeoutMs ?? 0)}.` : 'Stopped.');
  return code;
}

/**
 * `--register`: finds or makes the listener's webhook (src/cli/listen-webhook.ts), writes its
 * secret to --write-env, and hands back how to release it when listen stops.
 */
async function register(options: ListenOptions, ctx: Context, listenerUrl: string, events: EventSubscription[]) {
  const { output } = ctx;
  const [{ connect }, { registerListener, releaseListener }, { openConfig }] = await Promise.all([
    import('../api.js'),
    import('../listen-webhook.js'),
    import('../config.js'),
  ]);
  // Not interruptible: the webhook is released through this client after the Ctrl+C that stops listen.
  const { client, apiUrl } = await connect(ctx, { interruptible: false });
  let store: ConfigStore | undefined;
  try {
    store = await openConfig();
  } catch (error) {
    output.warn(
      `The secret cannot be kept for the next run: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const url = options.publicUrl ?? listenerUrl;
  // A port the system picked changes every run: nothing to keep for it.
  const keep = options.publicUrl !== undefined || options.port !== 0;
  const registration = await registerListener({ client, store, url, events, keep });
  const { webhook } = registration;
  const verb = { created: 'Registered', reused: 'Reusing', rotated: 'Reusing' }[registration.how];
  output.info(
    `${verb} webhook ${webhook.id} at ${apiUrl} for ${events.join(', ')} → ${url} (${keep ? 'disabled, not deleted, when the listener stops' : 'deleted when the listener stops'})`,
  );
  if (registration.how === 'rotated')
    output.warn(
      `The secret of ${webhook.id} was not kept on this machine, so it got a new one: give your app the secret below.`,
    );
  if (registration.removed.length > 0)
    output.info(`Deleted ${registration.removed.join(', ')}, left by earlier runs (duplicates or killed listeners).`);
  if (options.writeEnv !== undefined) {
    try {
      const how = setEnvVariable(options.writeEnv, SECRET_VARIABLE, registration.secret);
      output.info(`${how === 'added' ? 'Wrote' : 'Updated'} ${SECRET_VARIABLE} in ${options.writeEnv} (mode 0600).`);
    } catch (error) {
      output.warn(`Could not write ${options.writeEnv}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }

  const release = async (): Promise<boolean> => {
    try {
      const done = await releaseListener(registration, client, store);
      output.info(
        done === 'deleted'
          ? `Deleted webhook ${webhook.id}.`
          : `Disabled webhook ${webhook.id}; the next \`listen --register\` for ${url} enables it again with the same secret (\`v2k-webhooks delete ${webhook.id}\` removes it).`,
      );
      return true;
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      output.warn(
        registration.keep
          ? `Could not disable webhook ${webhook.id}: ${why}\nThe next \`listen --register\` for ${url} reuses it; or delete it: v2k-webhooks delete ${webhook.id} --yes`
          : `Could not delete webhook ${webhook.id}: ${why}\nDelete it yourself: v2k-webhooks delete ${webhook.id} --yes`,
      );
      return false;
    }
  };
  return { registration, release };
}

function parseExpectations(specs: string[]): Expectation[] {
  try {
    return specs.map(parseExpectation);
  } catch (error) {
    if (error instanceof ExpectationError)
      throw new UsageError(
        error.message,
        'Pass --expect trade.completed, --expect trade.completed:3 or --expect "trade.*:2".',
      );
    throw error;
  }
}

/**
 * Refuses flags that cannot take effect (issue 17), and returns the subscriptions for --register.
 */
function checkOptions(options: ListenOptions, ctx: Context): EventSubscription[] {
  if (options.verbose && ctx.output.json)
    throw new UsageError(
      '--verbose adds the indented payload to the lines for people; with --json each line already holds it.',
      'Drop --verbose or --json.',
    );
  if (options.forwardTimeout !== undefined && (options.forward ?? []).length === 0)
    throw new UsageError(
      '--forward-timeout only applies to forwards, and there is no --forward.',
      'Add --forward localhost:3000 (your app), or drop --forward-timeout.',
    );
  if (!options.register) {
    for (const [flag, given] of [
      ['--public-url', options.publicUrl],
      ['--events', options.events],
      ['--print-secret', options.printSecret],
      ['--write-env', options.writeEnv],
    ] as const) {
      if (given !== undefined)
        throw new UsageError(
          `${flag} only works with --register.`,
          'Add --register to create a webhook pointing at this listener.',
        );
    }
    if (options.rejectInvalid && readSecrets(options.secret, ctx.env).length === 0) {
      throw new UsageError(
        '--reject-invalid needs a secret to check signatures with.',
        'Pass --secret whsec_… (or set V2K_WEBHOOK_SECRET), or use --register.',
      );
    }
    return [];
  }
  if (options.secret !== undefined)
    throw new UsageError(
      '--secret cannot be used with --register: the platform chooses the secret of the webhook --register makes.',
      'Drop --secret: listen prints the secret it gets (and --write-env writes it for your app). Or drop --register and create the webhook yourself.',
    );
  if (options.publicUrl !== undefined && !/^https?:\/\/[^\s]+$/i.test(options.publicUrl)) {
    throw new UsageError(
      `--public-url ${JSON.stringify(options.publicUrl)} is not an http(s) URL.`,
      'Pass the URL the platform can reach, e.g. https://abc.ngrok.app/.',
    );
  }
  if (options.writeEnv !== undefined) checkEnvFile(options.writeEnv);
  if (options.events === undefined) return ['*'];
  const list = parseEvents(options.events, '--events');
  if (list.length === 0)
    throw new UsageError(
      '--events is empty.',
      `Use a comma-separated list of ${EVENT_TYPES.join(', ')}, or * for all.`,
    );
  return list;
}

function announce(
  ctx: Context,
  options: ListenOptions,
  info: {
    url: string;
    port: number;
    secretCount: number;
    registration?: Registration;
    expected: Expectation[];
    timeoutMs?: number;
  },
): void {
  const { output } = ctx;
  const { registration } = info;
  const forward = options.forward ?? [];
  if (output.json) {
    output.jsonLine({
      type: 'ready',
      url: info.url,
      port: info.port,
      forward,
      secrets: info.secretCount,
      rejectInvalid: Boolean(options.rejectInvalid),
      record: options.record ?? null,
      webhook: registration
        ? {
            id: registration.webhook.id,
            url: registration.webhook.url,
            events: registration.webhook.events,
            reused: registration.how !== 'created',
          }
        : null,
      // What the app verifies with: the ready line is where a script reads it (as `stripe listen --print-secret`).
      ...(registration ? { secret: registration.secret } : {}),
      expect: info.expected,
      timeoutMs: info.timeoutMs ?? null,
    });
  } else if (options.printSecret && registration) {
    output.line(registration.secret);
  }
  const { style } = output;
  if (registration && !output.json && !options.printSecret) {
    // As `stripe listen` does: the secret at start, for a person at a terminal; never into a log file.
    const stderr = output.stderr as NodeJS.WritableStream & { isTTY?: boolean };
    if (stderr.isTTY)
      output.info(
        `Your webhook signing secret is ${style.bold(registration.secret)}${registration.keep ? ' (kept for the next run on this URL)' : ''}.`,
      );
    else if (options.writeEnv === undefined)
      output.info('The webhook secret is not printed off a terminal: pass --print-secret or --write-env .env.');
  }
  const to = forward.length === 0 ? 'answering 200 itself (no --forward)' : `forwarding to ${forward.join(', ')}`;
  output.info(`${style.green('Ready.')} Listening on ${info.url}, ${to}.`);
  if (info.secretCount === 0)
    output.warn('No secret: signatures cannot be checked. Pass --secret or set V2K_WEBHOOK_SECRET.');
  if (info.expected.length > 0) {
    output.info(
      `Waiting up to ${formatDuration(info.timeoutMs ?? 0)} for ${info.expected.map((e) => `${e.pattern}×${e.count}`).join(', ')}.`,
    );
  }
  output.info(style.dim('Press Ctrl+C to stop.'));
}

function show(event: ListenerEvent, options: ListenOptions, ctx: Context, width: number | undefined): void {
  try {
    print(event, options, ctx, width);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    // A body nested too deeply for JSON.stringify (it was still read, verified and answered): print it without its payload.
    print({ ...event, payload: null }, options, ctx, width);
  }
}

function print(event: ListenerEvent, options: ListenOptions, ctx: Context, width: number | undefined): void {
  const { output } = ctx;
  if (output.json) {
    output.jsonLine(event);
    return;
  }
  // On a terminal: short ids and lines that fit it (issue 17); in a pipe or a log, full ids.
  const lines = renderEvent(event, output.style, width === undefined ? {} : { shortIds: true, width });
  if (!event.verdict.ok && event.verdict.reason !== 'no_secret') {
    const message = width === undefined ? event.verdict.message : wrapText(event.verdict.message, width - 4);
    lines.splice(1, 0, ...message.split('\n').map((l) => `    ${output.style.dim(l)}`));
  }
  if (options.verbose) {
    const pretty = event.payload === null ? '(body is not JSON)' : JSON.stringify(event.payload, null, 2);
    lines.push(...pretty.split('\n').map((l) => (width === undefined ? `    ${l}` : clip(`    ${l}`, width))));
  }
  for (const line of lines) output.line(line);
}
