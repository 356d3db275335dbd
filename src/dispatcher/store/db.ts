import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { V2kError } from '../../core/errors.js';
import { MIGRATIONS } from './migrations.js';

export type Db = BetterSqlite3.Database;

// The native module loads on the first open, not when the package root is imported: a
// receiver that only verifies signatures never needs SQLite (issue 13).
const require = createRequire(import.meta.url);
let Database: typeof BetterSqlite3 | undefined;

/**
 * Opens (or creates) the dispatcher's SQLite file: WAL so the API reads while the worker
 * writes, synchronous=NORMAL (a committed transaction survives a crash of the process, which
 * is the promise of SPEC §4), then every migration not yet applied.
 *
 * The file is locked for this process alone (locking_mode=EXCLUSIVE): one dispatcher per
 * database. That is what lets a start treat every lease it finds as left by a dead run.
 */
export function openDatabase(path: string): Db {
  Database ??= require('better-sqlite3') as typeof BetterSqlite3;
  const db = new Database(path);
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // A 32 MB page cache (SQLite's default is 2 MB) keeps the queue's indexes in memory under a
    // backlog; checkpoints every 4,000 pages instead of 1,000 make fewer, larger WAL copies.
    db.pragma('cache_size = -32000');
    db.pragma('temp_store = MEMORY');
    db.pragma('wal_autocheckpoint = 4000');
    db.pragma('foreign_keys = ON');
    db.exec('BEGIN IMMEDIATE; COMMIT;'); // takes the exclusive lock now, not at the first request
    migrate(db);
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') {
      throw new V2kError(`The database ${path} is in use by another dispatcher.`, {
        code: 'database_in_use',
        hint: 'Stop the other dispatcher, or give this one another --db file.',
        cause: error,
      });
    }
    throw error;
  }
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new V2kError(
      `The database was written by a newer v2k-webhooks (schema ${current}; this one knows ${MIGRATIONS.length}).`,
      {
        code: 'database_too_new',
        hint: 'Upgrade v2k-webhooks, or give this one another --db file.',
      },
    );
  }
  for (let version = current + 1; version <= MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version - 1] as string);
      db.pragma(`user_version = ${version}`);
    })();
  }
}
