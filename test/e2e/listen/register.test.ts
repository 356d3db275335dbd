import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { freePort } from '../../helpers/serve.js';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiClient, type ApiClient } from '../../../src/core/api-client.js';
import { EVENT_CATALOG } from '../../../src/core/events.js';
import { tempHome } from '../../helpers/cli.js';
import { startDispatcher, type RunningDispatcher } from '../../helpers/dispatcher.js';
import { runInPty } from '../../helpers/pty.js';
import { startListen, type RunningListen } from './spawn.js';

// issue 17.3 and 17.4: `listen --register` keeps one webhook per listener URL, and its secret,
// across runs — a clean stop, a SIGKILL — so an app that verifies keeps working and nothing is
// delivered twice. A real dispatcher, the built CLI, one HOME per "machine".
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

async function dispatcher(): Promise<{ d: RunningDispatcher; api: ApiClient }> {
  const d = await startDispatcher({ timeScale: 0.1 });
  cleanup.push(() => d.stop());
  return { d, api: createApiClient({ baseUrl: d.url, apiKey: d.apiKey }) };
}

/** One machine: a HOME whose config file keeps what listen keeps. */
function machine(d: RunningDispatcher) {
  const home = tempHome();
  const env = { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), V2K_API_KEY: d.apiKey };
  return {
    home,
    env,
    async listen(args: string[]): Promise<RunningListen> {
      const running = await startListen(['--api-url', d.url, '--register', ...args], env);
      cleanup.push(() => running.stop('SIGKILL'));
      return running;
    },
  };
}

type Ready = { webhook: { id: string; reused: boolean }; secret: string };

describe('listen --register keeps its webhook and secret', () => {
  it('restarted after SIGKILL on the same port: the same webhook and secret, no duplicate, each event once', async () => {
    const { d, api } = await dispatcher();
    const port = String(await freePort());
    const here = machine(d);

    const first = await here.listen(['--port', port]);
    const { webhook, secret } = first.ready as Ready;
    expect(secret).toMatch(/^whsec_/);
    await first.stop('SIGKILL');

    const second = await here.listen(['--port', port]);
    expect(second.ready).toMatchObject({ webhook: { id: webhook.id, reused: true }, secret });
    const hooks = await api.listWebhooks();
    expect(hooks.map((h) => [h.id, h.isActive])).toEqual([[webhook.id, true]]);

    const sent = await api.emitEvent({ event: 'trade.completed', data: EVENT_CATALOG['trade.completed'].sample.data });
    expect(sent.deliveries).toBe(1);
    const [event] = await second.waitForEvents(1);
    expect(event).toMatchObject({ verdict: { label: 'verified' }, status: 200 });

    // A clean stop disables it and keeps it; the next run enables it again, same secret.
    const stopped = await second.stop('SIGTERM');
    expect(stopped.exitCode, stopped.stderr).toBe(0);
    expect(stopped.stderr).toContain(`Disabled webhook ${webhook.id}`);
    expect((await api.listWebhooks()).map((h) => [h.id, h.isActive])).toEqual([[webhook.id, false]]);

    const third = await here.listen(['--port', port]);
    expect(third.ready).toMatchObject({ webhook: { id: webhook.id }, secret });
    expect((await api.listWebhooks()).map((h) => [h.id, h.isActive])).toEqual([[webhook.id, true]]);
  });

  it('on another machine (no kept secret) the webhook for that URL is reused with a new secret, still one webhook', async () => {
    const { d, api } = await dispatcher();
    const port = String(await freePort());
    const first = await machine(d).listen(['--port', port]);
    const { webhook, secret } = first.ready as Ready;
    await first.stop('SIGKILL');

    const elsewhere = await machine(d).listen(['--port', port]);
    const ready = elsewhere.ready as Ready;
    expect(ready.webhook.id).toBe(webhook.id);
    expect(ready.secret).toMatch(/^whsec_/);
    expect(ready.secret).not.toBe(secret);
    expect((await api.listWebhooks()).map((h) => h.id)).toEqual([webhook.id]);
    await api.emitEvent({ event: 'trade.failed', data: EVENT_CATALOG['trade.failed'].sample.data });
    const [event] = await elsewhere.waitForEvents(1);
    expect(event).toMatchObject({ verdict: { label: 'verified' } });
  });

  it('--port 0 (a new URL every run): deleted on stop, and a killed run’s webhook is deleted by the next run', async () => {
    const { d, api } = await dispatcher();
    const here = machine(d);
    const killed = await here.listen([]);
    const leftover = (killed.ready as Ready).webhook.id;
    await killed.stop('SIGKILL');

    const next = await here.listen([]);
    const id = (next.ready as Ready).webhook.id;
    expect(id).not.toBe(leftover);
    expect((await api.listWebhooks()).map((h) => h.id)).toEqual([id]);
    const stopped = await next.stop('SIGTERM');
    expect(stopped.stderr).toContain(`Deleted webhook ${id}.`);
    expect(await api.listWebhooks()).toEqual([]);
  });

  it('--write-env sets V2K_WEBHOOK_SECRET in place, keeps the other lines, and makes the file 0600', async () => {
    const { d } = await dispatcher();
    const here = machine(d);
    const file = join(here.home, '.env');
    writeFileSync(file, 'PORT=3000\nexport V2K_WEBHOOK_SECRET=whsec_old\nOTHER=1\n', { mode: 0o644 });
    const running = await here.listen(['--port', String(await freePort()), '--write-env', file]);
    const { secret } = running.ready as Ready;
    expect(readFileSync(file, 'utf8')).toBe(`PORT=3000\nexport V2K_WEBHOOK_SECRET=${secret}\nOTHER=1\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const { stderr } = await running.stop('SIGTERM');
    expect(stderr).toContain(`Updated V2K_WEBHOOK_SECRET in ${file}`);
    expect(stderr).not.toContain(secret); // off a terminal the secret goes to the file and the JSON, not the log
  });

  it('prints the secret at start on a terminal, as stripe listen does', async () => {
    const { d } = await dispatcher();
    const here = machine(d);
    const result = await runInPty(['--api-url', d.url, 'listen', '--register', '--port', '0', '--timeout', '300ms'], {
      env: here.env,
      steps: [],
    });
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toMatch(/Your webhook signing secret is whsec_[A-Za-z0-9+/=]+\./);
  });
});
