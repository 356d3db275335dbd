/**
 * Promises that resolve once a condition over a growing list holds. The owner calls `notify()`
 * after each change; `waitFor` checks at once, on every notify, and (with `pollMs`) now and then,
 * for conditions that depend on something else than the list.
 */
export function createWaiters<T>(items: T[], what: string) {
  const checks = new Set<() => void>();
  return {
    notify(): void {
      for (const check of [...checks]) check();
    },
    waitFor(predicate: (items: T[]) => boolean, timeoutMs: number, pollMs?: number): Promise<T[]> {
      return new Promise((resolve, reject) => {
        const done = (): void => {
          checks.delete(check);
          clearTimeout(timer);
          clearInterval(poll);
        };
        const check = (): void => {
          if (!predicate(items)) return;
          done();
          resolve(items);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${what}: condition not met within ${timeoutMs} ms (${items.length} so far)`));
        }, timeoutMs);
        const poll = pollMs === undefined ? undefined : setInterval(check, pollMs);
        checks.add(check);
        check();
      });
    },
  };
}
