import type { Queue } from './queue.js';
import type { Store } from './store/index.js';

/** What the routes (API and monitoring page) get: the store, the clock, and the delivery queue's ways in. */
export interface DispatcherContext {
  store: Store;
  now(): number;
  /** `wake`: deliveries were queued, look at them now. `handoff`: the accept path's (queue.ts, rule 5). */
  queue: Pick<Queue, 'wake' | 'handoff'>;
  /** The options it runs with, for display. */
  settings: { timeScale: number; rateLimit: number; concurrency: number; host: string; chaosSpec?: string };
}
