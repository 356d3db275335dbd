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

/**
 * Rules 2 to 4: how many slots of each kind each due webhook gets now. Pure. Shared slots go one
 * at a time (no allocation per slot: a look runs after every batch of finished attempts).
 */
export function share(due: readonly DueWebhook[], use: SlotUse): Map<string, Grant> {
  const grants = new Map<string, Grant>();
  const n = due.length;
  const load = due.map((w) => use.byWebhook.get(w.webhookId) ?? 0); // in flight, then granted too
  const got = new Array<number>(n).fill(0);
  const userLoad = new Map<string, number>();
  for (const w of due) userLoad.set(w.userId, use.byUser.get(w.userId) ?? 0);
  const userOf = (i: number): number => userLoad.get((due[i] as DueWebhook).userId) as number;
  /** Rule 3: fewest in flight for the user, then for the webhook, then waiting longest. */
  const before = (i: number, j: number): boolean =>
    userOf(i) !== userOf(j)
      ? userOf(i) < userOf(j)
      : load[i] !== load[j]
        ? (load[i] as number) < (load[j] as number)
        : (due[i] as DueWebhook).dueAt < (due[j] as DueWebhook).dueAt;
  const give = (i: number, kind: keyof Grant): void => {
    const w = due[i] as DueWebhook;
    let grant = grants.get(w.webhookId);
    if (!grant) grants.set(w.webhookId, (grant = { shared: 0, reserve: 0 }));
    grant[kind]++;
    got[i] = (got[i] as number) + 1;
    load[i] = (load[i] as number) + 1;
    userLoad.set(w.userId, userOf(i) + 1);
  };

  for (let free = use.concurrency - use.shared; free > 0; free--) {
    let best = -1;
    for (let i = 0; i < n; i++) {
      if ((got[i] as number) >= (due[i] as DueWebhook).room) continue;
      if (best < 0 || before(i, best)) best = i;
    }
    if (best < 0) break;
    give(best, 'shared');
  }

  // Rule 2: the reserve, for webhooks left with nothing in flight, oldest due first.
  let reserve = reserveSlots(use.concurrency) - use.reserve;
  const perUser = reserveSlotsPerUser(use.concurrency);
  const reserveGot = new Map<string, number>();
  const oldestFirst = due.map((_, i) => i).sort((i, j) => (due[i] as DueWebhook).dueAt - (due[j] as DueWebhook).dueAt);
  for (const i of oldestFirst) {
    if (reserve <= 0) break;
    const w = due[i] as DueWebhook;
    if (w.room < 1 || load[i] !== 0) continue;
    const userReserve = (use.reserveByUser.get(w.userId) ?? 0) + (reserveGot.get(w.userId) ?? 0);
    if (userReserve >= perUser) continue;
    give(i, 'reserve');
    reserveGot.set(w.userId, (reserveGot.get(w.userId) ?? 0) + 1);
    reserve--;
  }
  return grants;
}
