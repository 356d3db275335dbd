import { checkReceiver } from '../../checker/index.js';
import { formatDuration } from '../../core/duration.js';
import { EVENT_TYPES, type EventType } from '../../core/events.js';
import { ExitCode, UsageError } from '../../core/errors.js';
import { ATTEMPT_TIMEOUT_MS } from '../../dispatcher/policy.js';
import { normalizeUrl, TargetError } from '../../listener/targets.js';
import { createCard } from '../check-card.js';
import type { Context } from '../context.js';
import { readSecrets } from '../input.js';
import { parseEvents } from '../webhook-view.js';

export interface CheckCommandOptions {
  url: string;
  secret?: string;
  events?: string[];
  timeout?: number;
}

/** `check <url>` (issue 18): a battery of deliveries to a receiver, and a report card. Exit 1 when a check fails. */
export async function run(options: CheckCommandOptions, ctx: Context): Promise<number> {
  const { output } = ctx;
  const url = receiverUrl(options.url);
  const [secret] = readSecrets(options.secret, ctx.env);
  if (secret === undefined || secret.trim() === '') {
    throw new UsageError(
      'No secret given: the check signs its deliveries with the secret your receiver verifies with.',
      "Pass --secret whsec_… (the webhook's secret) or set V2K_WEBHOOK_SECRET.",
    );
  }
  const subscribed = options.events === undefined ? ['*'] : parseEvents(options.events, '--events');
  const events: EventType[] = subscribed.includes('*') ? [...EVENT_TYPES] : (subscribed as EventType[]);
  if (options.timeout !== undefined && !(options.timeout > 0 && options.timeout <= ATTEMPT_TIMEOUT_MS)) {
    throw new UsageError(
      `--timeout must be above 0 and at most ${formatDuration(ATTEMPT_TIMEOUT_MS)}, the platform's delivery timeout.`,
      'Pass --timeout 5s, or leave it out to wait as long as the platform does.',
    );
  }

  const card = createCard(output, output.width);
  try {
    const report = await checkReceiver({
      url,
      secret,
      events,
      timeoutMs: options.timeout,
      signal: ctx.stopSignal,
      onPlan(plan) {
        output.info(`Checking ${plan.url} (${plan.requests} requests, timeout ${formatDuration(plan.timeoutMs)} each)`);
        if (!output.json) card.plan(plan);
      },
      onResult(result) {
        if (output.json) output.jsonLine({ type: 'check', ...result });
        else card.result(result);
      },
    });
    if (output.json) {
      const { url: checked, ok, counts, requests } = report;
      output.jsonLine({ type: 'summary', url: checked, ok, ...counts, requests });
    } else card.summary(report);
    return report.ok ? ExitCode.OK : ExitCode.FAILURE;
  } catch (error) {
    if (!ctx.stopSignal.aborted) throw error;
    output.info('Stopped before the check finished.');
    return ExitCode.FAILURE;
  }
}

/** `localhost:3000/webhooks`, `:3000` and full URLs, as `listen --forward` takes them. */
function receiverUrl(value: string): string {
  try {
    return normalizeUrl(value);
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    throw new UsageError(
      `${JSON.stringify(value)} is not a receiver URL.`,
      'Pass the URL your receiver listens on: localhost:3000/webhooks/v2k or https://…',
    );
  }
}
