import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

/**
 * Opens (or creates) the dispatcher's SQLite file: WAL so the API reads while the worker
 * writes, synchronous=NORMAL (a committed transaction survives a crash of the process, which
 * is the promise of SPEC §4), then every migration not yet applied.
 */
export function openDatabase(path: string): Db {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    db.close();
    throw new Error(
      `This database was written by a newer v2k-webhooks (schema ${current}, this one knows ${MIGRATIONS.length}). Upgrade, or use another --db file.`,
    );
  }
  for (let version = current + 1; version <= MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version - 1] as string);
      db.pragma(`user_version = ${version}`);
    })();
  }
}
