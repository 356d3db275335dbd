import { readFile } from 'node:fs/promises';
import { UsageError } from '../core/errors.js';
import type { Context } from './context.js';

/**
 * Reads a payload's raw bytes from a file, or from stdin for `-` or when stdin is piped. Without
 * the flag, an empty stdin (none at all, /dev/null, a closed pipe) is a usage error rather than
 * an empty body signed (issue 17); `-` takes stdin as it is, empty included.
 */
export async function readPayload(source: string | undefined, ctx: Context, flag = '--payload'): Promise<Buffer> {
  if (source === undefined && ctx.stdin.isTTY) {
    throw new UsageError(`No payload given.`, `Pass ${flag} FILE, or pipe the body on stdin (${flag} -).`);
  }
  if (source === '-') return readStream(ctx.stdin);
  if (source === undefined) {
    const piped = await readStream(ctx.stdin);
    if (piped.length === 0)
      throw new UsageError(
        'No payload given: nothing came on stdin.',
        `Pass ${flag} FILE, or pipe the body in (${flag} - takes stdin even when it is empty).`,
      );
    return piped;
  }
  try {
    return await readFile(source);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `Cannot read ${flag} ${source}: ${code ?? String(error)}.`,
      'Check the path, or pass - to read stdin.',
    );
  }
}

/** Every byte of a stream (stdin, for `--payload -` or `--data @-`). */
export async function readStream(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/** The webhook secrets from repeated --secret flags, else V2K_WEBHOOK_SECRET (comma-separated for rotation). */
export function readSecrets(flags: string[] | string | undefined, env: NodeJS.ProcessEnv): string[] {
  const given = typeof flags === 'string' ? [flags] : (flags ?? []);
  if (given.length > 0) return given;
  return (env.V2K_WEBHOOK_SECRET ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
