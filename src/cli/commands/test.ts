import type { Delivery } from '../../core/api-types.js';
import { formatDuration } from '../../core/duration.js';
import { V2kError } from '../../core/errors.js';
import { attemptSucceeded, isSuccessStatus } from '../../core/outcome.js';
import { MAX_ATTEMPTS } from '../../dispatcher/policy.js';
import { connect } from '../api.js';
import type { Context } from '../context.js';
import { startSpinner } from '../prompts.js';
import { attemptResult, relative, snippet } from '../webhook-view.js';

export interface TestOptions {
  id: string;
  wait: boolean;
  timeout: number;
}

/**
 * `test <id>`: sends the guide's test event and waits for the outcome of its first attempt
 * (not for the retries, which take 14 s or more): exit 0 when it succeeded (a 2xx and no transport error), 1 otherwise.
 */
export async function run(options: TestOptions, ctx: Context): Promise<number | void> {
  const { client } = await connect(ctx);
  const sent = await client.testWebhook(options.id);
  const base = { webhookId: options.id, deliveryId: sent.deliveryId, eventId: sent.eventId };
  if (!options.wait) {
    ctx.output.result(base, () =>
      [
        `Test event sent: delivery ${sent.deliveryId}.`,
        `See the outcome: v2k-webhooks deliveries ${options.id} ${sent.deliveryId}`,
      ].join('\n'),
    );
    return;
  }

  const spinner = await startSpinner(ctx, `Test event sent (${sent.deliveryId}); waiting for the receiver…`);
  let delivery: Delivery;
  try {
    delivery = await waitForOutcome(
      () => client.getDelivery(options.id, sent.deliveryId),
      options.timeout,
      ctx.stopSignal,
      `${options.id} ${sent.deliveryId}`,
    );
  } catch (error) {
    spinner.stop();
    throw error;
  }
  const attempt = delivery.attempts[0];
  if (!attempt) {
    spinner.stop();
    throw new V2kError(`The test delivery ${sent.deliveryId} ended ${delivery.status} without an attempt.`, {
      code: 'test_failed',
      hint: `Is the webhook enabled? Check it with \`v2k-webhooks get ${options.id}\`.`,
    });
  }
  const ok = attemptSucceeded(attempt);
  // "timed out after 10s" already says how long it took: no "in 10s" after it.
  const took = /\btimed out\b/i.test(attempt.error ?? '') ? '' : ` in ${formatDuration(attempt.durationMs)}`;
  const verdict = `${ok ? 'succeeded' : 'failed'}: ${attemptResult(attempt)}${took}`;
  spinner.stop(); // the outcome is printed once, below, not also as the spinner's last frame

  ctx.output.result({ ...base, ok, status: delivery.status, attempt, nextAttemptAt: delivery.nextAttemptAt }, () =>
    [
      `Test delivery ${sent.deliveryId} ${verdict}`,
      `Response: ${snippet(attempt.responseBody)}`,
      ...(!ok && delivery.nextAttemptAt
        ? [
            `The platform retries it ${relative(delivery.nextAttemptAt)} (attempt ${attempt.number + 1} of ${MAX_ATTEMPTS}).`,
          ]
        : []),
    ].join('\n'),
  );
  if (!ok) {
    // A 2xx followed by a transport error (a reset mid-body) is a failure too: the platform records it so (core/outcome.ts).
    const why = isSuccessStatus(attempt.statusCode)
      ? `The receiver answered ${attempt.statusCode} but then failed (${attempt.error})`
      : 'The receiver did not answer 2xx';
    ctx.output.info(`${why}. Check it, then run \`v2k-webhooks test ${options.id}\` again.`);
    return 1;
  }
}

/** Polls until the first attempt is recorded (or the delivery ends), backing off from 100 ms to 1 s. */
async function waitForOutcome(
  read: () => Promise<Delivery>,
  timeoutMs: number,
  stop: AbortSignal,
  where: string,
): Promise<Delivery> {
  const stopped = () =>
    new V2kError('Stopped before the outcome was known.', {
      code: 'cancelled',
      hint: `The delivery goes on; see \`v2k-webhooks deliveries ${where}\`.`,
    });
  const deadline = Date.now() + timeoutMs;
  for (let pause = 100; ; pause = Math.min(pause * 2, 1000)) {
    if (stop.aborted) throw stopped();
    let delivery: Delivery;
    try {
      delivery = await read();
    } catch (error) {
      if (stop.aborted) throw stopped(); // the client was interrupted by the same Ctrl+C
      throw error;
    }
    if (delivery.attempts.length > 0 || delivery.status !== 'pending') return delivery;
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new V2kError(`No outcome for test delivery ${delivery.id} within ${formatDuration(timeoutMs)}.`, {
        code: 'test_timeout',
        hint: `It may still be delivered; see \`v2k-webhooks deliveries ${delivery.webhookId} ${delivery.id}\`, or wait longer with --timeout 2m.`,
      });
    }
    await sleep(Math.min(pause, left), stop);
  }
}

function sleep(ms: number, stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    stop.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      stop.removeEventListener('abort', done);
      resolve();
    }
  });
}
