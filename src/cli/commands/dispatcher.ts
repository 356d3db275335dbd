import { resolve } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { createDispatcher, type AttemptInfo } from '../../dispatcher/index.js';
import { DISABLE_AFTER_FAILURES } from '../../dispatcher/policy.js';
import type { Context } from '../context.js';

export interface DispatcherCommandOptions {
  port: number;
  host: string;
  db: string;
  timeScale: number;
  rateLimit: number;
  concurrency: number;
  /** Every --api-key KEY:USER given. */
  apiKeys?: string[];
}

export async function run(options: DispatcherCommandOptions, ctx: Context): Promise<void> {
  const apiKeys = (options.apiKeys ?? []).map(parseKey);
  if (options.port > 65535)
    throw new UsageError(`--port ${options.port} is not a port.`, 'Use 1 to 65535, or 0 for any free port.');
  if (options.concurrency < 1) throw new UsageError('--concurrency must be at least 1.');
  const { output } = ctx;
  const dispatcher = await createDispatcher({
    dbPath: options.db === ':memory:' ? options.db : resolve(options.db),
    port: options.port,
    host: options.host,
    timeScale: options.timeScale,
    rateLimit: options.rateLimit,
    concurrency: options.concurrency,
    apiKeys: apiKeys.length > 0 ? apiKeys : undefined,
    onAttempt: (info) => (output.json ? output.jsonLine(info) : output.line(formatAttempt(info, output.style))),
    logger: { warn: (message) => output.warn(message) },
  });

  if (output.json) {
    output.jsonLine({
      type: 'ready',
      url: dispatcher.url,
      adminUrl: dispatcher.adminUrl,
      ...(dispatcher.devKey === undefined ? {} : { devKey: dispatcher.devKey }),
    });
  } else {
    output.line(`Dispatcher listening on ${output.style.bold(dispatcher.url)}`);
    if (dispatcher.devKey !== undefined) output.line(`Dev API key (user_dev): ${dispatcher.devKey}`);
    else output.line(`API keys for: ${[...new Set(apiKeys.map((k) => k.user))].join(', ')}`);
    output.line(`Monitoring page: ${dispatcher.adminUrl}`);
    output.info(
      `Database ${resolve(options.db)}; time scale ${options.timeScale}, rate limit ${options.rateLimit || 'none'}, concurrency ${options.concurrency}.\n` +
        `Point the CLI at it: V2K_API_URL=${dispatcher.url} V2K_API_KEY=<key> v2k-webhooks list   (Ctrl-C to stop)`,
    );
  }

  if (!/^(localhost|127(?:\.\d{1,3}){3}|::1)$/i.test(options.host)) {
    output.warn(
      `Bound to ${options.host}: other machines can reach the API and the monitoring page, which needs no key and shows every user's webhooks. Use the default --host 127.0.0.1 unless you mean it.`,
    );
  }

  await new Promise<void>((done) => {
    if (ctx.stopSignal.aborted) done();
    else ctx.stopSignal.addEventListener('abort', () => done(), { once: true });
  });
  if (!output.json) output.info('Stopping: finishing the attempts in flight…');
  await dispatcher.close();
}

function parseKey(value: string): { key: string; user: string } {
  const colon = value.indexOf(':');
  const key = value.slice(0, colon);
  const user = value.slice(colon + 1);
  if (colon <= 0 || user === '' || /\s/.test(value)) {
    throw new UsageError(
      `--api-key ${JSON.stringify(value)} is not KEY:USER.`,
      'Give a key and its user, e.g. --api-key sk_test_alice:user_alice (repeat for more users).',
    );
  }
  return { key, user };
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
  return `${time}  ${info.event.padEnd(17)} ${info.deliveryId} → ${info.url}  ${status} ${info.durationMs}ms  attempt ${info.attempt}/${info.maxAttempts}  ${verdict}${error}${disabled}`;
}
