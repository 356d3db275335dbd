import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSecret, generateTestHeaders } from '../../src/core/signature.js';
import { startListen } from '../e2e/listen/spawn.js';
import { startDispatcher } from '../helpers/dispatcher.js';
import { call } from './support.js';

// Issue 16, "other local users": the dispatcher's database and WAL hold every webhook secret and
// the dev key, the record file holds bodies and signatures. Another user (`nobody`, through
// setpriv, when this test runs as root) must not read them; elsewhere the mode is checked.

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0 && existsSync('/usr/bin/setpriv');

/** Whether user `nobody` can read the file: by trying (setpriv) when root, else from its mode. */
function nobodyCanRead(file: string): boolean {
  if (!asRoot) return (statSync(file).mode & 0o004) !== 0;
  try {
    execFileSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'cat', file], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

/** A directory anyone may enter, so only the files' own modes stand between them and `nobody`. */
function openDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'v2k-users-'));
  chmodSync(dir, 0o755);
  return dir;
}

const mode = (file: string): string => (statSync(file).mode & 0o777).toString(8);

describe('files other local users must not read', () => {
  it('the dispatcher database and its WAL are created 0600; an existing looser one is narrowed, with a warning', async () => {
    const dir = openDirectory();
    const control = join(dir, 'control');
    writeFileSync(control, 'readable', { mode: 0o644 });
    expect(nobodyCanRead(control)).toBe(true); // the check can tell

    const dbPath = join(dir, 'dispatcher.db');
    const dispatcher = await startDispatcher({ dbPath });
    try {
      const created = await call(dispatcher.url, 'POST', '/api/webhooks', dispatcher.apiKey, {
        url: 'http://127.0.0.1:9/hook',
        events: ['*'],
      });
      expect(created.body.secret).toMatch(/^whsec_/);
      for (const file of [dbPath, `${dbPath}-wal`]) {
        expect(existsSync(file), file).toBe(true);
        expect(mode(file), file).toBe('600');
        expect(nobodyCanRead(file), file).toBe(false);
      }
    } finally {
      await dispatcher.stop();
    }

    chmodSync(dbPath, 0o644);
    const again = await startDispatcher({ dbPath });
    await again.stop();
    expect(mode(dbPath)).toBe('600');
    expect(nobodyCanRead(dbPath)).toBe(false);
    expect(again.stderr()).toMatch(/dispatcher\.db was mode 0644, readable by other users.*it is now 0600/);
  });

  it('an existing 0644 record file is narrowed to 0600 by listen --record, with a warning', async () => {
    const dir = openDirectory();
    const file = join(dir, 'deliveries.jsonl');
    writeFileSync(file, '', { mode: 0o644 });
    const secret = generateSecret();
    const listen = await startListen(['--record', file, '--secret', secret]);
    const payload = JSON.stringify({ event: 'test', timestamp: new Date().toISOString(), data: {} });
    await fetch(listen.url, { method: 'POST', headers: generateTestHeaders({ payload, secret }), body: payload });
    await listen.waitForEvents(1);
    const { stderr } = await listen.stop();
    expect(mode(file)).toBe('600');
    expect(nobodyCanRead(file)).toBe(false);
    expect(stderr).toMatch(/record file .* was mode 0644, readable by other users; it is now 0600/);
  });
});
