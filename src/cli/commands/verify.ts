import { ExitCode, UsageError } from '../../core/errors.js';
import { createVerifier, HEADER, signatureHeaderOf, type HeaderSource } from '../../core/signature.js';
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
  // A secret anyone could sign with, or a tolerance that is not above 0, is a usage error (exit 2), not a verdict.
  const verifier = createVerifier({ secrets, toleranceSeconds: options.tolerance });
  const headers = headersFor(options);
  const payload = await readPayload(options.payload, ctx);
  const result = verifier.verify({ payload, headers });

  ctx.output.result(result, () => {
    const { style } = ctx.output;
    return result.ok
      ? `${style.green('verified')} (secret #${(result.secretIndex ?? 0) + 1})`
      : `${style.red(result.reason.replaceAll('_', ' '))}: ${result.message}`;
  });
  return result.ok ? ExitCode.OK : ExitCode.FAILURE;
}

/**
 * The library decides which header the value is (signatureHeaderOf): 64 hex characters are an
 * X-V2K-Signature; `v1,…` entries (with others such as `v1a,…` or `v2,…`, space-separated) a
 * Standard Webhooks webhook-signature, which is signed over its id and timestamp too.
 */
function headersFor(options: VerifyCommandOptions): HeaderSource {
  if (signatureHeaderOf(options.signature) === HEADER.signature) return { [HEADER.signature]: options.signature };
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
