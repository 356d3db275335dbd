import { ExitCode, UsageError } from '../../core/errors.js';
import { readRecording, RecordingError, type RecordedDelivery } from '../../listener/recorder.js';
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
  const deliveries = await load(options.file);
  const [secret] = readSecrets(options.secret, ctx.env);
  if (deliveries.length === 0) {
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
  const results = await replayDeliveries({
    deliveries,
    to,
    secret,
    timeoutMs: options.timeout,
    onResult(r) {
      const status =
        r.status === null
          ? style.red(`failed (${r.error})`)
          : r.ok
            ? style.green(String(r.status))
            : style.red(String(r.status));
      output.line(
        `${status}  ${r.event ?? '(no event type)'}  ${r.deliveryId ?? ''}  ${style.dim(`${r.ms} ms`)}`.replace(
          / {3,}/g,
          '  ',
        ),
      );
    },
  });
  const failed = results.filter((r: ReplayResult) => !r.ok);
  if (output.json) output.result({ to, sent: results.length, failed: failed.length, results }, () => '');
  output.info(
    `Replayed ${results.length} deliver${results.length === 1 ? 'y' : 'ies'} to ${to}: ${results.length - failed.length} answered 2xx, ${failed.length} did not.`,
  );
  return failed.length === 0 ? ExitCode.OK : ExitCode.FAILURE;
}

async function load(file: string): Promise<RecordedDelivery[]> {
  try {
    return await readRecording(file);
  } catch (error) {
    if (error instanceof RecordingError)
      throw new UsageError(error.message, 'Pass a file written by `v2k-webhooks listen --record FILE`.');
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new UsageError(`Cannot read ${file}: ${code}.`, 'Check the path; it is a file written by `listen --record`.');
  }
}
