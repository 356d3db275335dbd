import { statSync } from 'node:fs';
import type { Db } from './db.js';

/** Why the store cannot take writes (issue 16): the disk is full, the file is gone, or I/O fails. */
export interface StoreProblem {
  code: 'insufficient_storage' | 'database_deleted' | 'store_unavailable';
  message: string;
}

/** How often, at most, a store that failed a write is probed to see whether it takes writes again. */
const PROBE_INTERVAL_MS = 1_000;

/**
 * Watches the database for what SQLite does not report by itself: a file deleted (or replaced)
 * while the dispatcher runs, into which it would go on acknowledging events that no restart will
 * find; and remembers a failed write (disk full, I/O error) until a probe write succeeds, so
 * /healthz tells the truth in between.
 */
export function watchDatabase(db: Db, path: string) {
  const onDisk = path !== ':memory:' && path !== '';
  const opened = onDisk ? identity(path) : undefined;
  let failure: StoreProblem | undefined;
  let probedAt = 0;
  let deleted: StoreProblem | undefined;
  // One look at the file per turn of the event loop however many writes it starts.
  let lookedThisTurn = false;

  const lookAtFile = (): StoreProblem | undefined => {
    if (!onDisk || deleted !== undefined) return deleted;
    const now = identity(path);
    if (now === opened) return undefined;
    deleted = {
      code: 'database_deleted',
      message: `The database file ${path} was ${now === undefined ? 'deleted' : 'replaced'} while the dispatcher ran: nothing written now would be kept. Restart the dispatcher (events accepted since then are not in the file).`,
    };
    return deleted;
  };

  return {
    /** The problem a write would hit now, checking the file at most once per turn; undefined when writes can go ahead. */
    beforeWrite(): StoreProblem | undefined {
      if (deleted !== undefined || lookedThisTurn) return deleted;
      lookedThisTurn = true;
      setImmediate(() => (lookedThisTurn = false));
      return lookAtFile();
    },
    /** For /healthz: the file's state, and a failed write's until a probe write succeeds. */
    check(): StoreProblem | undefined {
      const gone = lookAtFile();
      if (gone !== undefined) return gone;
      if (failure !== undefined && Date.now() - probedAt >= PROBE_INTERVAL_MS) {
        probedAt = Date.now();
        try {
          // A real write (the header page, unchanged) through the WAL: it fails while the disk is full.
          const version = db.pragma('user_version', { simple: true }) as number;
          db.transaction(() => db.pragma(`user_version = ${version}`)).immediate();
          failure = undefined;
        } catch {
          // still failing
        }
      }
      return failure;
    },
    /** Classifies an error thrown by a write; remembers it when it is the store's, not the request's. */
    failed(error: unknown): StoreProblem | undefined {
      const problem = storeProblem(error, path);
      if (problem !== undefined) {
        failure = problem;
        probedAt = Date.now();
      }
      return problem;
    },
  };
}

export type DatabaseWatch = ReturnType<typeof watchDatabase>;

function identity(path: string): string | undefined {
  try {
    const stats = statSync(path);
    return `${stats.dev}:${stats.ino}`;
  } catch {
    return undefined;
  }
}

/** SQLite's disk and I/O errors as the store's problem; anything else is not one. */
export function storeProblem(error: unknown, path: string): StoreProblem | undefined {
  const raw = (error as { code?: unknown } | undefined)?.code;
  const code = typeof raw === 'string' ? raw : '';
  if (code === 'SQLITE_FULL')
    return {
      code: 'insufficient_storage',
      message: `The disk holding the dispatcher's database (${path}) is full, so nothing can be stored; free some space and retry.`,
    };
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN'))
    return {
      code: 'store_unavailable',
      message: `The dispatcher cannot write its database (${path}): ${error instanceof Error ? error.message : code}. Retry later; check the disk.`,
    };
  return undefined;
}
