import { formatDuration } from '../../core/duration.js';
import { ExitCode, UsageError } from '../../core/errors.js';
import { EVENT_TYPES, type EventSubscription } from '../../core/events.js';
import type { WebhookWithSecret } from '../../core/api-types.js';
import {
  createExpectations,
  ExpectationError,
  parseExpectation,
  type Expectation,
} from '../../listener/expectations.js';
import { renderEvent } from '../../listener/pretty.js';
import { createListener } from '../../listener/server.js';
import type { ListenerEvent, ListenerLogger } from '../../listener/types.js';
import type { Context } from '../context.js';
import { readSecrets } from '../input.js';
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
  record?: string;
  expect?: string[];
  timeout?: number;
  rejectInvalid?: boolean;
  forwardTimeout: number;
  verbose?: boolean;
}

/** With --expect and no --timeout, CI jobs still end (issue 5's example: `--timeout 30s`). */
const DEFAULT_EXPECT_TIMEOUT_MS = 30_000;

export async function run(options: ListenOptions, ctx: Context): Promise<number> {
  const { output } = ctx;
  const expected = parseExpectations(options.expect ?? []);
  const events = checkRegisterOptions(options);
  if (options.rejectInvalid && !options.register && readSecrets(options.secret, ctx.env).length === 0) {
    throw new UsageError(
      '--reject-invalid needs a secret to check signatures with.',
      'Pass --secret whsec_… (or set V2K_WEBHOOK_SECRET), or use --register.',
    );
  }
  const timeoutMs = options.timeout ?? (expected.length > 0 ? DEFAULT_EXPECT_TIMEOUT_MS : undefined);
  const expectations = createExpectations(expected);

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
      show(event, options, ctx);
      if (expected.length > 0 && expectations.record(event)) metNow();
    },
  });

  let webhook: WebhookWithSecret | undefined;
  let deleteWebhook: (() => Promise<void>) | undefined;
  try {
    if (options.register) {
      const { connect } = await import('../api.js');
      // Not interruptible: the webhook is deleted through this client after the Ctrl+C that stops listen.
      const { client, apiUrl } = await connect(ctx, { interruptible: false });
      const url = options.publicUrl ?? listener.url;
      webhook = await client.createWebhook({ url, events, description: `v2k-webhooks listen (${url})` });
      listener.addSecret(webhook.secret);
      deleteWebhook = () => client.deleteWebhook((webhook as WebhookWithSecret).id);
      output.info(
        `Registered webhook ${webhook.id} at ${apiUrl} for ${events.join(', ')} → ${url} (deleted when the listener stops)`,
      );
    }
  } catch (error) {
    await listener.close();
    throw error;
  }

  const secretCount = readSecrets(options.secret, ctx.env).length + (webhook ? 1 : 0);
  if (!/^(localhost|127(?:\.\d{1,3}){3}|::1)$/i.test(options.host)) {
    output.warn(
      `Bound to ${options.host}: other machines can send this listener deliveries, and it forwards them to your app. Use the default --host 127.0.0.1 unless you mean it.`,
    );
  }
  announce(ctx, options, { url: listener.url, port: listener.port, secretCount, webhook, expected, timeoutMs });

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

  // Delete first, so the platform cancels what it still holds for us instead of failing it against a closed port.
  let code: number = ExitCode.OK;
  if (webhook && deleteWebhook) {
    try {
      await deleteWebhook();
      output.info(`Deleted webhook ${webhook.id}.`);
    } catch (error) {
      code = ExitCode.FAILURE;
      output.warn(
        `Could not delete webhook ${webhook.id}: ${error instanceof Error ? error.message : String(error)}\nDelete it yourself: v2k-webhooks delete ${webhook.id} --yes`,
      );
    }
  }
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
      return ExitCode.FAILURE;
    }
  } else if (outcome !== 'met')
    output.info(outcome === 'timeout' ? `Stopped after ${formatDuration(timeoutMs ?? 0)}.` : 'Stopped.');
  return code;
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

/** The subscriptions for --register; usage errors for options that only mean something with it. */
function checkRegisterOptions(options: ListenOptions): EventSubscription[] {
  if (!options.register) {
    for (const [flag, given] of [
      ['--public-url', options.publicUrl],
      ['--events', options.events],
      ['--print-secret', options.printSecret],
    ] as const) {
      if (given !== undefined)
        throw new UsageError(
          `${flag} only works with --register.`,
          'Add --register to create a webhook pointing at this listener.',
        );
    }
    return [];
  }
  if (options.publicUrl !== undefined && !/^https?:\/\/[^\s]+$/i.test(options.publicUrl)) {
    throw new UsageError(
      `--public-url ${JSON.stringify(options.publicUrl)} is not an http(s) URL.`,
      'Pass the URL the platform can reach, e.g. https://abc.ngrok.app/.',
    );
  }
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
    webhook?: WebhookWithSecret;
    expected: Expectation[];
    timeoutMs?: number;
  },
): void {
  const { output } = ctx;
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
      webhook: info.webhook ? { id: info.webhook.id, url: info.webhook.url, events: info.webhook.events } : null,
      ...(options.printSecret && info.webhook ? { secret: info.webhook.secret } : {}),
      expect: info.expected,
      timeoutMs: info.timeoutMs ?? null,
    });
  } else if (options.printSecret && info.webhook) {
    output.line(info.webhook.secret);
  }
  const { style } = output;
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

function show(event: ListenerEvent, options: ListenOptions, ctx: Context): void {
  try {
    print(event, options, ctx);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    // A body nested too deeply for JSON.stringify (it was still read, verified and answered): print it without its payload.
    print({ ...event, payload: null }, options, ctx);
  }
}

function print(event: ListenerEvent, options: ListenOptions, ctx: Context): void {
  const { output } = ctx;
  if (output.json) {
    output.jsonLine(event);
    return;
  }
  const lines = renderEvent(event, output.style);
  if (!event.verdict.ok && event.verdict.reason !== 'no_secret')
    lines.splice(1, 0, `    ${output.style.dim(event.verdict.message)}`);
  if (options.verbose) {
    const pretty = event.payload === null ? '(body is not JSON)' : JSON.stringify(event.payload, null, 2);
    lines.push(...pretty.split('\n').map((l) => `    ${l}`));
  }
  for (const line of lines) output.line(line);
}
