/**
 * How a look at the queue shares free slots between due webhooks: rules 2 to 4 of queue.ts, as a
 * pure function of what is due and what is in flight.
 */
import { reserveSlots, reserveSlotsPerUser } from './policy.js';

/** A due webhook as the fair share sees it. */
export interface DueWebhook {
  webhookId: string;
  userId: string;
  dueAt: number;
  /** How many attempts its rate window lets start now. */
  room: number;
}

/** What is in flight, as the fair share sees it. */
export interface SlotUse {
  concurrency: number;
  /** Shared slots taken (attempts in flight in them, and slots promised to a handoff). */
  shared: number;
  reserve: number;
  byWebhook: ReadonlyMap<string, number>;
  byUser: ReadonlyMap<string, number>;
  reserveByUser: ReadonlyMap<string, number>;
}

/** Slots given to one webhook by a look at the queue. */
export interface Grant {
  shared: number;
  reserve: number;
}

/** Rules 2 to 4: how many slots of each kind each due webhook gets now. Pure. */
export function share(due: readonly DueWebhook[], use: SlotUse): Map<string, Grant> {
  const grants = new Map<string, Grant>();
  const userGot = new Map<string, number>();
  const got = (w: DueWebhook): number => {
    const grant = grants.get(w.webhookId);
    return grant === undefined ? 0 : grant.shared + grant.reserve;
  };
  const give = (w: DueWebhook, kind: keyof Grant): void => {
    let grant = grants.get(w.webhookId);
    if (!grant) grants.set(w.webhookId, (grant = { shared: 0, reserve: 0 }));
    grant[kind]++;
    userGot.set(w.userId, (userGot.get(w.userId) ?? 0) + 1);
  };
  let free = use.concurrency - use.shared;
  if (due.length === 1 && free > 0) {
    const only = due[0] as DueWebhook;
    const n = Math.min(free, only.room);
    if (n > 0) grants.set(only.webhookId, { shared: n, reserve: 0 });
    free -= n;
  }
  while (free > 0 && due.length > 1) {
    let best: DueWebhook | undefined;
    let bestKey: [number, number, number] = [Infinity, Infinity, Infinity];
    for (const w of due) {
      if (got(w) >= w.room) continue;
      const key: [number, number, number] = [
        (use.byUser.get(w.userId) ?? 0) + (userGot.get(w.userId) ?? 0),
        (use.byWebhook.get(w.webhookId) ?? 0) + got(w),
        w.dueAt,
      ];
      if (before(key, bestKey)) {
        best = w;
        bestKey = key;
      }
    }
    if (!best) break;
    give(best, 'shared');
    free--;
  }
  // Rule 2: the reserve, for webhooks left with nothing in flight, oldest due first.
  let reserve = reserveSlots(use.concurrency) - use.reserve;
  const perUser = reserveSlotsPerUser(use.concurrency);
  const reserveGot = new Map<string, number>();
  for (const w of [...due].sort((a, b) => a.dueAt - b.dueAt)) {
    if (reserve <= 0) break;
    if (w.room < 1 || got(w) > 0 || (use.byWebhook.get(w.webhookId) ?? 0) > 0) continue;
    const userReserve = (use.reserveByUser.get(w.userId) ?? 0) + (reserveGot.get(w.userId) ?? 0);
    if (userReserve >= perUser) continue;
    give(w, 'reserve');
    reserveGot.set(w.userId, (reserveGot.get(w.userId) ?? 0) + 1);
    reserve--;
  }
  return grants;
}

/** Lexicographic order of (user's attempts in flight, webhook's attempts in flight, due time). */
function before(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    if ((a[i] as number) !== (b[i] as number)) return (a[i] as number) < (b[i] as number);
  }
  return false;
}
