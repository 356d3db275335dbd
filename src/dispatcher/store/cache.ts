/**
 * One invalidation point for what the dispatcher keeps from SQLite in memory (issue 15). The
 * store moves the version whenever something kept could be stale — on every change to a webhook
 * row and on every rollback — and a cache made here empties itself the first time it is used
 * after the version moved. No write path, route or rollback path clears a cache by hand.
 */
export interface Version {
  readonly current: number;
  bump(): void;
}

export function createVersion(): Version {
  let current = 0;
  return {
    get current() {
      return current;
    },
    bump() {
      current++;
    },
  };
}

/** A Map valid for one version of the store. */
export interface VersionedCache<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): void;
  delete(key: K): void;
}

export function versionedCache<K, V>(version: Version): VersionedCache<K, V> {
  const entries = new Map<K, V>();
  let seen = version.current;
  const fresh = (): Map<K, V> => {
    if (seen !== version.current) {
      entries.clear();
      seen = version.current;
    }
    return entries;
  };
  return {
    get: (key) => fresh().get(key),
    set: (key, value) => void fresh().set(key, value),
    delete: (key) => void fresh().delete(key),
  };
}
