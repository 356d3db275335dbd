import { formatDuration } from '../../core/duration.js';
import { ExitCode, UsageError } from '../../core/errors.js';
import { toJsonLine } from '../../core/json-line.js';
import type { RecordedDelivery } from '../../listener/recorder.js';
import { RecordingError, streamRecording } from '../../listener/recording.js';
import { replayDeliveries, type ReplayResult } from '../../listener/replay.js';
import { normalizeUrl, TargetError } from '../../listener/targets.js';
import type { Context } from '../context.js';
import { readSecrets } from '../input.js';

export interface ReplayCommandOptions {
  file: string;
  to: string;
  secret?: string;
  timeout: number;
}

/**
 * Streams the recording (issue 16: a 600 MB file did not fit a string): each delivery is read,
 * sent and forgotten, so memory stays flat however long the file. `--json` writes its one JSON
 * document as it goes, a result per line.
 */
export async function run(options: ReplayCommandOptions, ctx: Context): Promise<number> {
  const { output } = ctx;
  let to: string;
  try {
    to = normalizeUrl(options.to);
  } catch (error) {
    if (error instanceof TargetError)
      throw new UsageError(
        `--to: ${error.message}`,
        'Pass --to localhost:3000 or a URL such as http://localhost:3000/webhooks.',
      );
    throw error;
  }
  const [secret] = readSecrets(options.secret, ctx.env);
  const { first, rest } = await open(options.file, (message) => output.warn(message));
  if (first === undefined) {
    output.warn(`${options.file} holds no deliveries; nothing to replay.`);
    output.result({ sent: 0, failed: 0, results: [] }, () => '');
    return ExitCode.OK;
  }
  if (secret === undefined) {
    output.info(
      'No --secret: sending the recorded signatures as they are (a receiver checking webhook-timestamp may find them stale).',
    );
  }
  const { style } = output;
  let sent = 0;
  let failed = 0;
  if (output.json) output.stdout.write(`{"to":${JSON.stringify(to)},"results":[`);
  try {
    await replayDeliveries({
      deliveries: withFirst(first, rest),
      to,
      secret,
      timeoutMs: options.timeout,
      keepResults: false,
      onResult(r: ReplayResult) {
        sent++;
        if (!r.ok) failed++;
        if (output.json) {
          output.stdout.write(`${sent === 1 ? '' : ','}\n${toJsonLine(r)}`);
          return;
        }
        const status =
          r.status === null
            ? style.red(`failed (${r.error})`)
            : r.ok
              ? style.green(String(r.status))
              : style.red(String(r.status));
        output.line(
          `${status}  ${r.event ?? '(no event type)'}  ${r.deliveryId ?? ''}  ${style.dim(formatDuration(r.ms))}`.replace(
            / {3,}/g,
            '  ',
          ),
        );
      },
    });
  } catch (error) {
    throw error instanceof RecordingError
      ? new UsageError(
          `${error.message}${sent > 0 ? ` The ${sent} deliveries before it were sent.` : ''}`,
          'Pass a file written by `v2k-webhooks listen --record FILE`.',
        )
      : error;
  } finally {
    if (output.json) output.stdout.write(`\n],"sent":${sent},"failed":${failed}}\n`);
  }
  output.info(
    `Replayed ${sent} deliver${sent === 1 ? 'y' : 'ies'} to ${to}: ${sent - failed} answered 2xx, ${failed} did not.`,
  );
  return failed === 0 ? ExitCode.OK : ExitCode.FAILURE;
}

async function* withFirst(
  first: RecordedDelivery,
  rest: AsyncGenerator<RecordedDelivery>,
): AsyncGenerator<RecordedDelivery> {
  yield first;
  yield* rest;
}

/** The recording as a stream, its first delivery already read: a missing file or a bad first line fails before anything is sent. */
async function open(
  file: string,
  warn: (message: string) => void,
): Promise<{ first: RecordedDelivery | undefined; rest: AsyncGenerator<RecordedDelivery> }> {
  const rest = streamRecording(file, { onSkip: warn });
  try {
    const next = await rest.next();
    return { first: next.done ? undefined : next.value, rest };
  } catch (error) {
    if (error instanceof RecordingError)
      throw new UsageError(error.message, 'Pass a file written by `v2k-webhooks listen --record FILE`.');
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new UsageError(`Cannot read ${file}: ${code}.`, 'Check the path; it is a file written by `listen --record`.');
  }
}
