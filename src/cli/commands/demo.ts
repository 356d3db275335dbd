import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Delivery } from '../../core/api-types.js';
import { formatDuration } from '../../core/duration.js';
import { ExitCode } from '../../core/errors.js';
import { EVENT_CATALOG, EVENT_TYPES, type EventType } from '../../core/events.js';
import { generateSecret, generateTestHeaders } from '../../core/signature.js';
import type { ListenerEvent } from '../../listener/types.js';
import { stopExitCode, type Context } from '../context.js';
import { table, wrapText } from '../format.js';

export interface DemoOptions {
  keep?: boolean;
  port: number;
  timeout: number;
}

/** The event the sample app fails once (503), so the dispatcher's retry shows. */
const FLAKY_EVENT: EventType = 'trade.failed';

interface Row {
  event: string;
  listener: string;
  app: string;
  attempts: number;
  status: string;
}

/**
 * `v2k-webhooks demo` (issue 9): the dispatcher on a temporary SQLite file, a sample app that
 * verifies signatures on the raw body, and a listener registered with the dispatcher and
 * forwarding to the app — the same pieces as `dispatcher`, `listen --register --forward` — then
 * one event of every type, one of them failing once and retried, and one forged delivery.
 */
export async function run(options: DemoOptions, ctx: Context): Promise<number> {
  const { output } = ctx;
  const { style } = output;
  const started = performance.now();
  // On a terminal, lines fit it: short ids, wrapped sentences (issue 17).
  const width = output.width;
  const say = (text: string) => output.line(width === undefined ? text : wrapText(text, width));
  const dir = await mkdtemp(join(tmpdir(), 'v2k-demo-'));
  const [
    { createDispatcher },
    { createListener },
    { createApiClient },
    { startSampleApp },
    { renderEvent },
    { RETRY_DELAYS_MS },
  ] = await Promise.all([
    import('../../dispatcher/index.js'),
    import('../../listener/server.js'),
    import('../../core/api-client.js'),
    import('../../demo/sample-app.js'),
    import('../../listener/pretty.js'),
    import('../../dispatcher/policy.js'),
  ]);

  const cleanups: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  try {
    const dispatcher = await createDispatcher({
      dbPath: join(dir, 'dispatcher.db'),
      port: options.port,
      logger: { warn: (message) => output.warn(message) },
    });
    cleanups.unshift(() => dispatcher.close());
    const app = await startSampleApp({ failFirstAttempt: FLAKY_EVENT });
    cleanups.unshift(() => app.close());

    const events: ListenerEvent[] = [];
    const listener = await createListener({
      port: 0,
      forward: [app.url],
      logger: { info: (m) => output.info(m), warn: (m) => output.warn(m), error: (m) => output.warn(m) },
      onEvent(event) {
        events.push(event);
        if (output.json) output.jsonLine(event);
        else output.line(renderEvent(event, style, width === undefined ? {} : { shortIds: true, width }).join('\n'));
      },
    });
    cleanups.unshift(() => listener.close());

    // What `listen --register` does: a webhook for every event, pointing at the listener.
    const client = createApiClient({ baseUrl: dispatcher.url, apiKey: dispatcher.devKey });
    const webhook = await client.createWebhook({
      url: listener.url,
      events: ['*'],
      description: 'v2k-webhooks demo (listen --register)',
    });
    cleanups.unshift(() => client.deleteWebhook(webhook.id));
    listener.addSecret(webhook.secret);
    app.setSecret(webhook.secret);

    const ready = {
      type: 'ready',
      dispatcher: dispatcher.url,
      database: join(dir, 'dispatcher.db'),
      monitoring: dispatcher.adminUrl,
      app: app.url,
      listener: listener.url,
      webhook: webhook.id,
      // The dispatcher's dev key: with it, every other command works against this dispatcher (--keep).
      apiKey: dispatcher.devKey,
    };
    if (output.json) output.jsonLine(ready);
    else {
      output.line(style.bold('v2k-webhooks demo: the whole toolkit, offline, on this machine'));
      output.line(
        table(
          ['PART', 'WHERE'],
          [
            ['dispatcher', `${dispatcher.url}  (SQLite ${ready.database})`],
            ['monitoring', dispatcher.adminUrl],
            ['sample app', `${app.url}  (verifies X-V2K-Signature on the raw body)`],
            ['listener', `${listener.url}  → forwards to the sample app`],
            ['webhook', `${webhook.id}, registered for every event (*) by the listener`],
            ['api key', `${dispatcher.devKey ?? '—'}  (the dispatcher's dev key)`],
          ],
        ),
      );
      say(
        `\nTriggering ${EVENT_TYPES.length} events; the app fails ${FLAKY_EVENT} once with 503, so the dispatcher retries it ${formatDuration(RETRY_DELAYS_MS[0])} later.\n`,
      );
    }

    for (const type of EVENT_TYPES) await client.emitEvent({ event: type, data: EVENT_CATALOG[type].sample.data });
    const finished = await waitUntil(
      () => EVENT_TYPES.every((type) => app.received.some((d) => d.event === type && d.verified && d.status === 200)),
      options.timeout,
      ctx.stopSignal,
    );

    // A delivery signed with the wrong secret: the listener's verdict and the app's 401 show why verifying matters.
    const forged = JSON.stringify({ ...EVENT_CATALOG['trade.completed'].sample, timestamp: new Date().toISOString() });
    await fetch(listener.url, {
      method: 'POST',
      headers: generateTestHeaders({ payload: forged, secret: generateSecret() }),
      body: forged,
    });

    // The app has answered; the dispatcher records each outcome just after. Wait for that too.
    let deliveries: Delivery[] = [];
    await waitUntilAsync(
      async () => {
        deliveries = await client.listDeliveries(webhook.id, { limit: 100 });
        return deliveries.length >= EVENT_TYPES.length && deliveries.every((d) => d.status !== 'pending');
      },
      options.timeout,
      ctx.stopSignal,
    );
    const rows = summarize(deliveries, events, app.received);
    const retried = deliveries.some(
      (d) => d.event === FLAKY_EVENT && d.status === 'succeeded' && d.attempts.length === 2,
    );
    const forgedRejected = events.some((e) => e.verdict.reason === 'bad_signature' && e.status === 401);
    const ok =
      finished &&
      retried &&
      forgedRejected &&
      rows.every((r) => r.status === 'succeeded' && r.listener === 'verified' && r.app === 'verified');
    const seconds = (performance.now() - started) / 1000;

    if (output.json)
      output.jsonLine({
        type: 'summary',
        ok,
        seconds: Number(seconds.toFixed(2)),
        retried,
        forgedRejected,
        events: rows,
        monitoring: dispatcher.adminUrl,
      });
    else {
      say(
        `\n${style.bold('Forged delivery')} (signed with another secret): listener says ${forgedRejected ? style.red('bad signature') : style.yellow('?')}, the app answered 401.\n`,
      );
      output.line(
        table(
          ['EVENT', 'LISTENER', 'APP', 'ATTEMPTS', 'DELIVERY'],
          rows.map((r) => [r.event, r.listener, r.app, String(r.attempts), r.status]),
        ),
      );
      say(
        ok
          ? `\n${style.green('Done')} in ${formatDuration(seconds * 1000)}: ${EVENT_TYPES.length} events verified and forwarded, ${FLAKY_EVENT} retried after a 503.`
          : `\n${style.red('The demo did not finish as expected')} within ${formatDuration(options.timeout)}: see the table above.`,
      );
      say(
        options.keep
          ? [
              `Monitoring page: ${dispatcher.adminUrl}`,
              'Everything keeps running; try the other commands against it, in another terminal:',
              `  export V2K_API_URL=${dispatcher.url} V2K_API_KEY=${dispatcher.devKey ?? ''}`,
              '  v2k-webhooks list',
              'Press Ctrl+C to stop.',
            ].join('\n')
          : `Run \`v2k-webhooks demo --keep\` to keep it running and open ${style.cyan('/admin/webhooks')}.`,
      );
    }
    // Ctrl+C (or a reader that closed the pipe) before the flow ended: stopped, not failed.
    if (ctx.stopSignal.aborted && !ok) return stopExitCode(ctx.stopSignal) ?? ExitCode.OK;

    if (options.keep && ok)
      await new Promise<void>((resolve) =>
        ctx.stopSignal.aborted ? resolve() : ctx.stopSignal.addEventListener('abort', () => resolve(), { once: true }),
      );
    return ok ? ExitCode.OK : ExitCode.FAILURE;
  } finally {
    for (const cleanup of cleanups) {
      await cleanup().catch((error: unknown) =>
        output.warn(`demo cleanup: ${error instanceof Error ? error.message : String(error)}`),
      );
    }
  }
}

function summarize(
  deliveries: Delivery[],
  events: ListenerEvent[],
  app: ReadonlyArray<{ deliveryId: string | null; verified: boolean; status: number }>,
): Row[] {
  return EVENT_TYPES.map((type) => {
    const delivery = deliveries.find((d) => d.event === type);
    const seen = events.filter((e) => e.deliveryId !== null && e.deliveryId === delivery?.id);
    const atApp = app.filter((d) => d.deliveryId !== null && d.deliveryId === delivery?.id);
    return {
      event: type,
      listener:
        seen.length > 0 && seen.every((e) => e.verdict.ok) ? 'verified' : (seen[0]?.verdict.label ?? 'not received'),
      app:
        atApp.length > 0 && atApp.every((d) => d.verified)
          ? 'verified'
          : atApp.length === 0
            ? 'not received'
            : 'rejected',
      attempts: delivery?.attempts.length ?? 0,
      status: delivery?.status ?? 'missing',
    };
  });
}

function waitUntil(done: () => boolean, timeoutMs: number, stop: AbortSignal): Promise<boolean> {
  return waitUntilAsync(async () => done(), timeoutMs, stop);
}

async function waitUntilAsync(done: () => Promise<boolean>, timeoutMs: number, stop: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline || stop.aborted) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}
