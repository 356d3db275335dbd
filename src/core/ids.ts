import { randomUUID } from 'node:crypto';

/** Ids like `evt_…`, `dlv_…`, `wh_…`: a prefix and 24 hex characters. */
export function newId(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
}
