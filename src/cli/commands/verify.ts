import { ExitCode, UsageError } from '../../core/errors.js';
import { HEADER, verify, type HeaderSource } from '../../core/signature.js';
import type { Context } from '../context.js';
import { readPayload, readSecrets } from '../input.js';

export interface VerifyCommandOptions {
  secret?: string[];
  signature: string;
  payload?: string;
  id?: string;
  timestamp?: number;
  tolerance: number;
}

export async function run(options: VerifyCommandOptions, ctx: Context): Promise<number> {
  const secrets = readSecrets(options.secret, ctx.env);
  if (secrets.length === 0)
    throw new UsageError(
      'No secret given.',
      'Pass --secret whsec_… (repeat it during a rotation) or set V2K_WEBHOOK_SECRET.',
    );
  const payload = await readPayload(options.payload, ctx);
  const result = verify({
    payload,
    secret: secrets,
    headers: headersFor(options),
    toleranceSeconds: options.tolerance,
  });

  ctx.output.result(result, () => {
    const { style } = ctx.output;
    return result.ok
      ? `${style.green('verified')} (secret #${(result.secretIndex ?? 0) + 1})`
      : `${style.red(result.reason.replaceAll('_', ' '))}: ${result.message}`;
  });
  return result.ok ? ExitCode.OK : ExitCode.FAILURE;
}

/** A `v1,…` value is a Standard Webhooks signature and needs its id and timestamp; anything else is X-V2K-Signature. */
function headersFor(options: VerifyCommandOptions): HeaderSource {
  if (!options.signature.startsWith('v1,')) return { [HEADER.signature]: options.signature };
  if (options.id === undefined || options.timestamp === undefined) {
    throw new UsageError(
      'A v1,… signature is a Standard Webhooks one and is signed over its id and timestamp.',
      'Pass --id (webhook-id) and --timestamp (webhook-timestamp) too.',
    );
  }
  return {
    [HEADER.webhookSignature]: options.signature,
    [HEADER.webhookId]: options.id,
    [HEADER.webhookTimestamp]: String(options.timestamp),
  };
}
