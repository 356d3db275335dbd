import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { createDispatcher, type AttemptInfo, type ChaosOptions } from '../../dispatcher/index.js';
import { parseUserKey, parseUserKeyList, type UserKey } from '../../dispatcher/keys.js';
import { DISABLE_AFTER_FAILURES } from '../../dispatcher/policy.js';
import type { Context } from '../context.js';

export interface DispatcherCommandOptions {
  port: number;
  host: string;
  db: string;
  timeScale: number;
  rateLimit: number;
  concurrency: number;
  /** Every --user-key KEY:USER given. */
  userKey?: string[];
  userKeysFile?: string;
  /** --chaos, parsed. */
  chaos?: ChaosOptions;
  chaosSeed?: number;
}

/** Users' keys from the environment (SPEC §4): `KEY:USER,KEY:USER`. */
const KEYS_ENV = 'V2K_DISPATCHER_KEYS';

export async function run(options: DispatcherCommandOptions, ctx: Context): Promise<void> {
  const { output } = ctx;
  const userKeys = await readUserKeys(options, ctx.env, (message) => output.warn(message));
  if (options.concurrency < 1) throw new UsageError('--concurrency must be at least 1.');
  const chaos = chaosOptions(options);
  const dispatcher = await createDispatcher({
    dbPath: options.db === ':memory:' ? options.db : resolve(options.db),
    port: options.port,
    host: options.host,
    timeScale: options.timeScale,
    rateLimit: options.rateLimit,
    concurrency: options.concurrency,
    userKeys: userKeys.length > 0 ? userKeys : undefined,
    chaos,
    onAttempt: (info) => (output.json ? output.jsonLine(info) : output.line(formatAttempt(info, output.style))),
    logger: { warn: (message) => output.warn(message) },
  });

  if (output.json) {
    output.jsonLine({
      type: 'ready',
      url: dispatcher.url,
      adminUrl: dispatcher.adminUrl,
      ...(dispatcher.devKey === undefined ? {} : { devKey: dispatcher.devKey }),
      ...(dispatcher.chaos === undefined ? {} : { chaos: dispatcher.chaos }),
    });
  } else {
    output.line(`Dispatcher listening on ${output.style.bold(dispatcher.url)}`);
    if (dispatcher.devKey !== undefined) output.line(`Dev API key (user_dev): ${dispatcher.devKey}`);
    else output.line(`API keys for: ${[...new Set(userKeys.map((k) => k.user))].join(', ')}`);
    output.line(`Monitoring page: ${dispatcher.adminUrl}`);
    if (dispatcher.chaos !== undefined)
      output.line(
        `${output.style.magenta('Chaos mode:')} ${dispatcher.chaos}\n` +
          `  Some deliveries go twice, out of order or late, on purpose; each is marked [chaos: …]. Replay: --chaos ${dispatcher.chaos}`,
      );
    output.info(
      `Database ${resolve(options.db)}; time scale ${options.timeScale}, rate limit ${options.rateLimit || 'none'}, concurrency ${options.concurrency}.\n` +
        `Point the CLI at it: V2K_API_URL=${dispatcher.url} V2K_API_KEY=<key> v2k-webhooks list   (Ctrl-C to stop)`,
    );
  }

  if (!/^(localhost|127(?:\.\d{1,3}){3}|::1)$/i.test(options.host)) {
    output.warn(
      `Bound to ${options.host}: other machines can reach the API and the monitoring page (whose data needs the token in its URL). Use the default --host 127.0.0.1 unless you mean it.`,
    );
  }

  await new Promise<void>((done) => {
    if (ctx.stopSignal.aborted) done();
    else ctx.stopSignal.addEventListener('abort', () => done(), { once: true });
  });
  if (!output.json) output.info('Stopping: finishing the attempts in flight…');
  await dispatcher.close();
}

/** --chaos with --chaos-seed folded in (issue 18). */
function chaosOptions(options: DispatcherCommandOptions): ChaosOptions | undefined {
  const { chaos, chaosSeed } = options;
  if (chaos === undefined) {
    if (chaosSeed !== undefined)
      throw new UsageError(
        '--chaos-seed seeds --chaos, which is not given.',
        'Add --chaos duplicate=0.1,reorder=0.2,delay=0-2s (docs/chaos.md).',
      );
    return undefined;
  }
  if (chaosSeed === undefined) return chaos;
  if (chaos.seed !== undefined && chaos.seed !== chaosSeed)
    throw new UsageError(
      `Two chaos seeds: seed=${chaos.seed} in --chaos and --chaos-seed ${chaosSeed}. Give the seed once.`,
    );
  return { ...chaos, seed: chaosSeed };
}

/**
 * The users' keys (issue 16): `--user-key` and `--user-keys-file` together, else
 * V2K_DISPATCHER_KEYS (flag over environment, as for every option). A flag shows its keys in
 * `ps`; the file and the variable do not.
 */
async function readUserKeys(
  options: DispatcherCommandOptions,
  env: NodeJS.ProcessEnv,
  warn: (message: string) => void,
): Promise<UserKey[]> {
  const fromFlags = (options.userKey ?? []).map((value) => parseUserKey(value, '--user-key'));
  if (options.userKeysFile !== undefined) {
    const file = options.userKeysFile;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new UsageError(`Cannot read --user-keys-file ${file}: ${code}.`, 'Give a file with one KEY:USER a line.');
    }
    const keys = parseUserKeyList(text, `--user-keys-file ${file}`);
    if (keys.length === 0) throw new UsageError(`--user-keys-file ${file} holds no KEY:USER line.`);
    if (((await stat(file)).mode & 0o077) !== 0)
      warn(`${file} holds API keys and other users can read it: chmod 600 ${file}.`);
    fromFlags.push(...keys);
  }
  if (fromFlags.length > 0) return fromFlags;
  const fromEnv = env[KEYS_ENV];
  return fromEnv === undefined || fromEnv.trim() === '' ? [] : parseUserKeyList(fromEnv, KEYS_ENV);
}

function formatAttempt(info: AttemptInfo, style: Context['output']['style']): string {
  const time = info.at.slice(11, 19);
  const status = info.statusCode === null ? '---' : String(info.statusCode);
  const verdict =
    info.outcome === 'succeeded'
      ? style.green('succeeded')
      : info.outcome === 'retrying'
        ? style.yellow(`retry at ${info.nextAttemptAt?.slice(11, 23) ?? '?'}`)
        : info.outcome === 'failed'
          ? style.red('failed')
          : style.red('cancelled');
  const error = info.error ? ` (${info.error})` : '';
  const disabled = info.webhookDisabled
    ? style.red(` — webhook ${info.webhookId} disabled after ${DISABLE_AFTER_FAILURES} consecutive failures`)
    : '';
  const start = `${time}  ${info.event.padEnd(17)} ${info.deliveryId} → ${info.url}  ${status} ${info.durationMs}ms  attempt ${info.attempt}/${info.maxAttempts}`;
  if (info.chaos === undefined) return `${start}  ${verdict}${error}${disabled}`;
  const mark = style.magenta(`[chaos: ${info.chaos}]`);
  if (info.chaos !== 'duplicate') return `${start}  ${verdict}${error}${disabled}  ${mark}`;
  // A duplicate never changes its delivery; what matters is how the receiver took it.
  return info.error === null
    ? `${start}  ${style.green('duplicate answered 2xx')}  ${mark}`
    : `${start}  ${style.red(`duplicate refused (${info.error})`)}: answer a duplicate 2xx, or the platform retries it and counts failures  ${mark}`;
}
