import type { Store } from './store/index.js';

/** What the routes (API and monitoring page) get: the store, the clock, and a way to nudge the worker. */
export interface DispatcherContext {
  store: Store;
  now(): number;
  /** Tells the delivery worker that deliveries are due now. */
  wake(): void;
  /** The options it runs with, for display. */
  settings: { timeScale: number; rateLimit: number; concurrency: number; host: string };
}
