import { accessSync, chmodSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../core/errors.js';

/** Refuses a --write-env file that cannot be written, before anything is registered. */
export function checkEnvFile(path: string, flag = '--write-env'): void {
  try {
    accessSync(path, constants.W_OK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw unwritable(path, flag, error);
    try {
      accessSync(dirname(path), constants.W_OK);
    } catch (dirError) {
      throw unwritable(path, flag, dirError);
    }
  }
}

function unwritable(path: string, flag: string, error: unknown): UsageError {
  return new UsageError(
    `Cannot write ${flag} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`,
    'Pass a file in a directory you can write, such as .env in your app.',
  );
}

/**
 * Sets `NAME=value` in a dotenv file: the line that sets NAME is replaced in place (an `export `
 * before it kept), the other lines are left as they are, and the file is created when missing.
 * It holds a secret, so it ends up mode 0600. Returns whether the line was added or replaced.
 */
export function setEnvVariable(path: string, name: string, value: string): 'added' | 'replaced' {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text === '' ? [] : text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const pattern = new RegExp(`^(\\s*(?:export\\s+)?)${name}\\s*=`);
  let found = false;
  const next = lines.flatMap((line) => {
    const match = pattern.exec(line);
    if (!match) return [line];
    if (found) return []; // a later line would win over ours when the file is loaded
    found = true;
    return [`${match[1] ?? ''}${name}=${value}`];
  });
  if (!found) next.push(`${name}=${value}`);
  writeFileSync(path, `${next.join(eol)}${eol}`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return found ? 'replaced' : 'added';
}
