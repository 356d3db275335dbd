import { accessSync, chmodSync, closeSync, constants, openSync, readSync, statSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { ExitCode, V2kError } from '../../core/errors.js';
import { MIGRATIONS } from './migrations.js';

export type Db = BetterSqlite3.Database;

// The native module loads on the first open, not when the package root is imported: a
// receiver that only verifies signatures never needs SQLite (issue 13).
const require = createRequire(import.meta.url);
let Database: typeof BetterSqlite3 | undefined;

/** The tables every dispatcher database has since the first migration: how ours is told from a foreign one. */
const OWN_TABLES = ['api_keys', 'webhooks', 'events', 'deliveries', 'attempts'];
/** The files SQLite keeps beside the database; each holds secrets as much as the database does. */
const SIDE_FILES = ['-wal', '-shm', '-journal'];
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

export interface OpenOptions {
  /** Told when a file's mode was narrowed to 0600. */
  warn?: (message: string) => void;
}

/**
 * Opens (or creates) the dispatcher's SQLite file: WAL so the API reads while the worker
 * writes, synchronous=NORMAL (a committed transaction survives a crash of the process, which
 * is the promise of SPEC §4), then every migration not yet applied.
 *
 * The file is locked for this process alone (locking_mode=EXCLUSIVE): one dispatcher per
 * database. That is what lets a start treat every lease it finds as left by a dead run.
 *
 * Before anything is written (issue 16): a missing directory, a file that cannot be written, one
 * that is not SQLite, and an SQLite database of another program are refused with the file named
 * and what to do; the database and its WAL are mode 0600 (SPEC §4), a looser one is narrowed.
 */
export function openDatabase(path: string, options: OpenOptions = {}): Db {
  const onDisk = path !== ':memory:' && path !== '';
  if (onDisk) {
    checkBeforeOpening(path);
    createPrivately(path);
  }
  Database ??= require('better-sqlite3') as typeof BetterSqlite3;
  let db: Db;
  try {
    db = new Database(path);
  } catch (error) {
    throw startError(path, error);
  }
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('locking_mode = EXCLUSIVE');
    refuseForeign(db, path);
    if (onDisk) tighten(path, options.warn); // before the WAL exists: SQLite gives it the database's mode
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
    if (onDisk) tighten(path, options.warn); // and the WAL SQLite has just made, should it not have followed
  } catch (error) {
    db.close();
    throw error instanceof V2kError ? error : startError(path, error);
  }
  return db;
}

/** The checks that need no SQLite: they name the problem better than SQLite's "unable to open database file". */
function checkBeforeOpening(path: string): void {
  const dir = dirname(path);
  const fail = (message: string, hint: string, code = 'database_unusable'): never => {
    throw new V2kError(message, { code, exitCode: ExitCode.USAGE, hint });
  };
  let dirStats: Stats;
  try {
    dirStats = statSync(dir);
  } catch {
    return fail(
      `The directory of the database, ${dir}, does not exist.`,
      `Create it (mkdir -p ${quoteArg(dir)}) or pass --db a path in an existing directory.`,
    );
  }
  if (!dirStats.isDirectory())
    fail(`${dir} is not a directory, so ${path} cannot be created in it.`, 'Pass --db another path.');
  let file: Stats | undefined;
  try {
    file = statSync(path);
  } catch {
    file = undefined;
  }
  if (file?.isDirectory())
    fail(`${path} is a directory, not a database file.`, 'Pass --db a file path, e.g. ./v2k-dispatcher.db.');
  // SQLite writes its WAL beside the file, so the directory must take writes as well as the file.
  for (const target of file === undefined ? [dir] : [path, dir]) {
    try {
      accessSync(target, constants.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'EACCES';
      fail(
        `The database ${path} cannot be written: ${target === dir ? `its directory ${dir}` : 'the file'} is ${code === 'EROFS' ? 'on a read-only file system' : 'not writable by this user'} (${code}).`,
        'The dispatcher writes every event it accepts. Pass --db a path you can write, or fix the permissions.',
      );
    }
  }
  if (file === undefined || file.size === 0) return;
  const head = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!head.equals(SQLITE_HEADER))
    fail(
      `${path} is not an SQLite database (it does not start with SQLite's header), so it is not a dispatcher database.`,
      'Pass --db a new path (it is created), or move that file away. Nothing was written to it.',
      'database_foreign',
    );
}

/** A new database file is created 0600 before SQLite opens it; SQLite gives its WAL the same mode. */
function createPrivately(path: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw startError(path, error);
  }
}

/** Narrows the database and its side files to 0600 when another user could read them. */
function tighten(path: string, warn: OpenOptions['warn']): void {
  for (const file of [path, ...SIDE_FILES.map((suffix) => path + suffix)]) {
    let mode: number;
    try {
      mode = statSync(file).mode & 0o777;
    } catch {
      continue; // not there
    }
    if ((mode & 0o077) === 0) continue;
    try {
      chmodSync(file, 0o600);
    } catch (error) {
      throw startError(path, error);
    }
    warn?.(
      `${file} was mode 0${mode.toString(8)}, readable by other users, and it holds webhook secrets and API keys; it is now 0600.`,
    );
  }
}

/** An SQLite file of another program is refused before the dispatcher writes a byte (it would turn it to WAL for good). */
function refuseForeign(db: Db, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  const tables = new Set(
    db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
      .pluck()
      .all() as string[],
  );
  const empty = version === 0 && tables.size === 0;
  if (empty || (version > 0 && OWN_TABLES.every((table) => tables.has(table)))) return;
  const shown = [...tables].slice(0, 5).join(', ');
  throw new V2kError(
    `${path} is an SQLite database of another program (tables: ${shown || 'none'}${tables.size > 5 ? ', …' : ''}), not a dispatcher database.`,
    {
      code: 'database_foreign',
      exitCode: ExitCode.USAGE,
      hint: 'Pass --db a new path (it is created). Nothing was written to that file.',
    },
  );
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

/** What SQLite or the file system said at start, as an error naming the file and the way out. */
function startError(path: string, error: unknown): V2kError {
  const raw = (error as { code?: unknown } | undefined)?.code;
  const code = typeof raw === 'string' ? raw : '';
  const reason = error instanceof Error ? error.message : String(error);
  const usage = (message: string, hint: string, errorCode = 'database_unusable'): V2kError =>
    new V2kError(message, { code: errorCode, exitCode: ExitCode.USAGE, hint, cause: error });
  if (code === 'SQLITE_BUSY')
    return new V2kError(`The database ${path} is in use by another dispatcher.`, {
      code: 'database_in_use',
      hint: 'Stop the other dispatcher, or give this one another --db file.',
      cause: error,
    });
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT'))
    return usage(
      `${path} is damaged or not an SQLite database (${reason}).`,
      'Move it away and start with a new --db file; a copy may be repaired with `sqlite3 FILE .recover`.',
      'database_corrupt',
    );
  if (code.startsWith('SQLITE_READONLY') || code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return usage(
      `The database ${path} cannot be written (${reason}).`,
      'The dispatcher writes every event it accepts. Pass --db a path you can write, or fix the permissions.',
    );
  if (code === 'SQLITE_FULL' || code === 'ENOSPC')
    return new V2kError(`The disk holding ${path} is full (${reason}).`, {
      code: 'insufficient_storage',
      hint: 'Free some space on it, or pass --db a path on another disk.',
      cause: error,
    });
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR') || code.startsWith('E'))
    return usage(
      `Cannot open the database ${path} (${reason}).`,
      'Check the path and its permissions, or pass --db another file.',
    );
  return new V2kError(`Cannot open the database ${path} (${reason}).`, {
    code: 'database_unusable',
    hint: 'Pass --db another file.',
    cause: error,
  });
}

function quoteArg(value: string): string {
  return /^[\w./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
