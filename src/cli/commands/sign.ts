import { UsageError } from '../../core/errors.js';
import { secretKeys } from '../../core/secret.js';
import { generateTestHeaders, sign } from '../../core/signature.js';
import type { Context } from '../context.js';
import { readPayload, readSecrets } from '../input.js';

export interface SignOptions {
  secret?: string;
  payload?: string;
  headers?: boolean;
  timestamp?: number;
}

export async function run(options: SignOptions, ctx: Context): Promise<void> {
  const [secret] = readSecrets(options.secret, ctx.env);
  if (secret === undefined)
    throw new UsageError('No secret given.', 'Pass --secret whsec_… or set V2K_WEBHOOK_SECRET.');
  secretKeys(secret); // a secret anyone could sign with: SecretError, exit 2, before reading the payload
  const payload = await readPayload(options.payload, ctx);
  const signature = sign(payload, secret);
  if (!options.headers) {
    ctx.output.result({ signature }, () => signature);
    return;
  }
  const headers = generateTestHeaders({ payload, secret, timestamp: options.timestamp });
  ctx.output.result({ signature, headers }, () =>
    Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}`)
      .join('\n'),
  );
}
