/**
 * How much work is in flight, and a promise for when none is left: what the listener's and the
 * dispatcher's shutdowns wait for. A counter rather than a Set of the work's promises: a
 * long-lived Set taking and dropping an entry per request kept every entry alive into the old
 * generation, and collecting them cost a measurable share of each request's CPU.
 */
export class InFlight {
  private count = 0;
  private waiters: Array<() => void> = [];

  get size(): number {
    return this.count;
  }

  start(): void {
    this.count++;
  }

  end(): void {
    this.count--;
    if (this.count > 0 || this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Resolves once nothing is in flight (at once when nothing is). */
  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}
