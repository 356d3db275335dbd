import type { Store } from './store/index.js';
import type { Worker } from './worker.js';

/** What the routes (API and monitoring page) get: the store, the clock, and a way to nudge the worker. */
export interface DispatcherContext {
  store: Store;
  now(): number;
  /** Tells the delivery worker that deliveries are due now. */
  wake(): void;
  /** Hands an accepted event's deliveries straight to the worker when it is idle (the accept path). */
  handoff: Pick<Worker, 'reserve' | 'take' | 'cancel'>;
  /** The options it runs with, for display. */
  settings: { timeScale: number; rateLimit: number; concurrency: number; host: string };
}
