import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDispatcher } from '../../src/dispatcher/index.js';
import { createListener } from '../../src/listener/index.js';
import { caught } from '../helpers/caught.js';
import { cli } from '../helpers/cli.js';
import { startDispatcher } from '../helpers/dispatcher.js';
import { canMount, mountSmallDisk, type SmallDisk } from './tmpfs.js';

// Issue 16, "bad start-up" and "durations": each a usage or environment error that names the
// file or the option and the way out — never "This is a bug" with a stack trace.

const dir = (): string => mkdtempSync(join(tmpdir(), 'v2k-start-'));

function expectCleanRefusal(result: { exitCode?: number; stderr: unknown }, exitCode: number, message: RegExp): void {
  const stderr = String(result.stderr);
  expect(stderr).toMatch(message);
  expect(stderr).not.toMatch(/This is a bug|Unexpected error|\n\s+at .+:\d+:\d+/);
  expect(result.exitCode, stderr).toBe(exitCode);
}

const dispatcherOn = (db: string, ...more: string[]) => cli(['dispatcher', '--port', '0', '--db', db, ...more]);

describe('a dispatcher that cannot use its --db file says which and why', () => {
  it('refuses a file that is not SQLite, and one that is damaged', async () => {
    const notSqlite = join(dir(), 'notes.db');
    writeFileSync(notSqlite, 'my notes, not a database\n'.repeat(200));
    expectCleanRefusal(await dispatcherOn(notSqlite), 2, /notes\.db is not an SQLite database[\s\S]*--db a new path/);
    expect(readFileSync(notSqlite, 'utf8')).toBe('my notes, not a database\n'.repeat(200));

    const damaged = join(dir(), 'damaged.db');
    writeFileSync(damaged, Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(8192, 0xa5)]));
    expectCleanRefusal(
      await dispatcherOn(damaged),
      2,
      /damaged\.db is damaged or not an SQLite database[\s\S]*Move it away/,
    );
  });

  it("refuses another program's SQLite database before writing anything to it", async () => {
    const folder = dir();
    const foreign = join(folder, 'shop.db');
    const db = new Database(foreign);
    db.exec(`CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('Ada');`);
    db.close();
    const before = { hash: sha256(foreign), mode: statSync(foreign).mode, mtime: statSync(foreign).mtimeMs };
    const files = readdirSync(folder);

    expectCleanRefusal(
      await dispatcherOn(foreign),
      2,
      /shop\.db is an SQLite database of another program \(tables: customers\)[\s\S]*Nothing was written/,
    );
    expect({ hash: sha256(foreign), mode: statSync(foreign).mode, mtime: statSync(foreign).mtimeMs }).toEqual(before);
    expect(readdirSync(folder)).toEqual(files); // no -wal, -shm or -journal beside it
    const reopened = new Database(foreign, { readonly: true });
    expect(reopened.pragma('journal_mode', { simple: true })).toBe('delete'); // not switched to WAL
    reopened.close();
  });

  it('names a missing directory and how to make it', async () => {
    const missing = join(dir(), 'not', 'there', 'dispatcher.db');
    expectCleanRefusal(
      await dispatcherOn(missing),
      2,
      /directory of the database, .*not\/there, does not exist[\s\S]*mkdir -p/,
    );
  });

  it.skipIf(!canMount)('names a database on a read-only file system', async () => {
    const disk = mountSmallDisk(4 * 1024 * 1024) as SmallDisk;
    try {
      const dbPath = join(disk.dir, 'dispatcher.db');
      const first = await startDispatcher({ dbPath });
      await first.stop();
      disk.readOnly();
      expectCleanRefusal(
        await dispatcherOn(dbPath),
        2,
        /dispatcher\.db cannot be written: .*read-only file system \(EROFS\)/,
      );
    } finally {
      disk.unmount();
    }
  });

  it.skipIf(!canMount)('names a config directory that cannot be written', async () => {
    const disk = mountSmallDisk(256 * 1024) as SmallDisk;
    try {
      const env = { HOME: dir(), XDG_CONFIG_HOME: disk.dir };
      expect((await cli(['config', 'set', 'api-url', 'http://127.0.0.1:1'], { env })).exitCode).toBe(0);
      disk.readOnly();
      expectCleanRefusal(
        await cli(['config', 'set', 'api-url', 'http://127.0.0.1:2'], { env }),
        1,
        /config file could not be saved: .*config\.json cannot be written \(it is on a read-only file system\)[\s\S]*XDG_CONFIG_HOME/,
      );
      // Reading it still works.
      expect(String((await cli(['config', 'list'], { env })).stdout)).toContain('http://127.0.0.1:1');
    } finally {
      disk.unmount();
    }
  });
});

describe('ports and durations a timer cannot hold are usage errors with the allowed range', () => {
  it.each([
    [['listen', '--port', '70000'], /--port .*expected a port from 0 to 65535/],
    [['dispatcher', '--port', '70000'], /--port .*expected a port from 0 to 65535/],
    [['demo', '--port', '70000'], /--port .*expected a port from 0 to 65535/],
    [['listen', '--timeout', '600h'], /--timeout .*expected a duration from 1ms to 596h/],
    [['listen', '--forward-timeout', '1000000h'], /--forward-timeout .*expected a duration from 1ms to 596h/],
    [['listen', '--timeout', '0s'], /--timeout .*expected a duration from 1ms/],
    [['replay', 'x.jsonl', '--to', 'localhost:1', '--timeout', '900h'], /--timeout .*596h/],
    [['dispatcher', '--time-scale', '1e6'], /--time-scale .*from 0\.001 to 35791/],
    [['dispatcher', '--time-scale', '0.00001'], /--time-scale .*from 0\.001 to 35791/],
  ])('%j', async (args, message) => {
    expectCleanRefusal(await cli(args), 2, message);
  });

  it('createDispatcher and createListener refuse them too', async () => {
    const bad = [
      caught(createDispatcher({ dbPath: ':memory:', port: 0, timeScale: 1e6 })),
      caught(createListener({ port: 70000 })),
      caught(createListener({ port: 0, forwardTimeoutMs: 2 ** 31 })),
      caught(createListener({ port: 0, requestTimeoutMs: 1e12 })),
    ];
    const errors = await Promise.all(bad);
    expect(errors.map((e) => (e as { exitCode?: number }).exitCode)).toEqual([2, 2, 2, 2]);
    expect(String(errors[0])).toMatch(/timeScale must be a number from 0\.001 to 35791/);
    expect(String(errors[2])).toMatch(/forward timeout must be from 1 ms to 2147483647 ms/);
  });
});

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}
