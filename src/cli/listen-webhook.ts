import type { ApiClient } from '../core/api-client.js';
import type { Webhook } from '../core/api-types.js';
import { ApiError, V2kError } from '../core/errors.js';
import type { EventSubscription } from '../core/events.js';
import { sameUrl } from './api.js';
import type { ConfigStore } from './config.js';

/**
 * The webhook of `listen --register` (issue 17): one per listener URL, whose secret stays the
 * same from run to run, so an app that verifies keeps working across restarts.
 *
 * - Its description starts with LISTEN_MARKER: a later run finds it by URL and marker, whether
 *   the earlier run stopped cleanly or was killed, and reuses it (no duplicate, no double
 *   delivery). Its secret is kept in the config file (0600), since the API shows a secret only
 *   when it makes one; a webhook found without a kept secret gets a new one (rotate-secret).
 * - On stop it is disabled, not deleted: nothing is delivered to a closed port, and the next run
 *   enables it again with the same secret. A listener on a port picked by the system (--port 0,
 *   no --public-url) has a new URL each run: its webhook is deleted on stop, and one left by a
 *   killed run is deleted by the next.
 */
export const LISTEN_MARKER = 'v2k-webhooks listen';

export interface Registration {
  webhook: Webhook;
  secret: string;
  /** created: a new webhook; reused: an earlier run's, with its kept secret; rotated: an earlier run's, with a new secret. */
  how: 'created' | 'reused' | 'rotated';
  /** Webhooks of earlier runs deleted: duplicates for this URL, or left by killed runs on other ports. */
  removed: string[];
  /** Disabled and kept on stop (true), or deleted (false). */
  keep: boolean;
}

export interface RegisterOptions {
  client: ApiClient;
  /** Where secrets are kept; undefined when the config file cannot be used (nothing is kept then). */
  store: ConfigStore | undefined;
  url: string;
  events: EventSubscription[];
  keep: boolean;
}

export async function registerListener({ client, store, url, events, keep }: RegisterOptions): Promise<Registration> {
  const api = client.baseUrl;
  const hooks = await client.listWebhooks();
  const marked = hooks.filter((h) => h.description?.startsWith(LISTEN_MARKER));
  const ours = marked.filter((h) => sameUrl(h.url, url) === true);
  const removed: string[] = [];

  // Leftovers of killed runs on a system-picked port: their URL never comes back.
  for (const hook of marked) {
    const record = store?.listener(api, hook.id);
    if (record?.pid !== undefined && !ours.includes(hook) && !alive(record.pid)) {
      await deleteQuietly(client, hook.id);
      await store?.saveListener(api, hook.id, undefined);
      removed.push(hook.id);
    }
  }

  const known = ours.find((h) => store?.listener(api, h.id) !== undefined);
  const reuse = known ?? ours[0];
  let webhook: Webhook;
  let secret: string;
  let how: Registration['how'];
  if (reuse) {
    const kept = known ? store?.listener(api, known.id)?.secret : undefined;
    if (kept !== undefined) {
      secret = kept;
      how = 'reused';
    } else {
      secret = (await client.rotateSecret(reuse.id)).secret;
      how = 'rotated';
    }
    // Enabling also clears the failure count a killed run may have left.
    webhook = await client.updateWebhook(reuse.id, { events, isActive: true });
  } else {
    try {
      const created = await client.createWebhook({ url, events, description: `${LISTEN_MARKER} (${url})` });
      ({ secret, ...webhook } = created);
    } catch (error) {
      throw limitHint(error, marked);
    }
    how = 'created';
  }
  for (const extra of ours.filter((h) => h.id !== webhook.id)) {
    await deleteQuietly(client, extra.id);
    await store?.saveListener(api, extra.id, undefined);
    removed.push(extra.id);
  }
  await store?.saveListener(api, webhook.id, { url, secret, ...(keep ? {} : { pid: process.pid }) });
  return { webhook, secret, how, removed, keep };
}

/** Ends a registration: disables the webhook (kept for the next run) or deletes it. */
export async function releaseListener(
  registration: Registration,
  client: ApiClient,
  store: ConfigStore | undefined,
): Promise<'disabled' | 'deleted'> {
  const { webhook } = registration;
  if (registration.keep) {
    await client.updateWebhook(webhook.id, { isActive: false });
    return 'disabled';
  }
  await client.deleteWebhook(webhook.id);
  await store?.saveListener(client.baseUrl, webhook.id, undefined);
  return 'deleted';
}

async function deleteQuietly(client: ApiClient, id: string): Promise<void> {
  try {
    await client.deleteWebhook(id);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error; // already gone: fine
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** At the webhook limit, names the disabled webhooks earlier `listen --register` runs keep for other URLs. */
function limitHint(error: unknown, marked: Webhook[]): unknown {
  if (!(error instanceof ApiError && error.code === 'limit_reached')) return error;
  const idle = marked.filter((h) => !h.isActive);
  if (idle.length === 0) return error;
  return new V2kError(error.message, {
    code: error.code,
    hint: `${idle.length} of them ${idle.length === 1 ? 'is' : 'are'} kept, disabled, by earlier \`listen --register\` runs for other URLs: ${idle
      .map((h) => `${h.id} (${h.url})`)
      .join(', ')}. Delete the ones you no longer use: \`v2k-webhooks delete <id> --yes\`.`,
    cause: error,
  });
}
