import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery, Webhook, WebhookWithSecret, WebhookWithStats } from '../../../src/core/api-types.js';
import { createApiClient } from '../../../src/core/api-client.js';
import { verify } from '../../../src/core/signature.js';
import { startDispatcher, type RunningDispatcher } from '../../helpers/dispatcher.js';
import { startReceiver, type Receiver } from '../../helpers/receiver.js';
import { asUser, json, keyOf, userKeys } from './setup.js';

// The guide's lifecycle (register, list, update, test, delete) as a CI script runs it — flags,
// --json and exit codes — and as a person reads it, against a real dispatcher process.
const users = userKeys('life', 6);
let dispatcher: RunningDispatcher;
let ok: Receiver;
let failing: Receiver;

beforeAll(async () => {
  [dispatcher, ok, failing] = await Promise.all([
    startDispatcher({ timeScale: 0.05, userKeys: users }),
    startReceiver({ status: 200, body: '{"received":true}' }),
    startReceiver({ status: 500, body: 'boom: the database is down' }),
  ]);
});

afterAll(async () => {
  await Promise.all([dispatcher?.stop(), ok?.close(), failing?.close()]);
});

function apiFor(entry: string) {
  return createApiClient({ baseUrl: dispatcher.url, apiKey: keyOf(entry) });
}

describe('the lifecycle with --json, as CI runs it', () => {
  it('create, list, get, update, test, deliveries, redeliver, rotate-secret, trigger, delete', async () => {
    const run = asUser(dispatcher, keyOf(users[0] as string));

    const created = await run([
      '--json',
      'create',
      '--url',
      ok.url,
      '--events',
      'trade.completed',
      '--description',
      'ci hook',
    ]);
    expect(created.exitCode, String(created.stderr)).toBe(0);
    const hook = json<WebhookWithSecret>(created);
    expect(hook).toMatchObject({ url: ok.url, events: ['trade.completed'], description: 'ci hook', isActive: true });
    expect(hook.id).toMatch(/^wh_/);
    expect(hook.secret).toMatch(/^whsec_/);
    expect(created.stderr).toMatch(/shown only once/);

    const listed = json<Array<Webhook & { lastDelivery: unknown }>>(await run(['--json', 'list']));
    expect(listed.map((h) => h.id)).toEqual([hook.id]);
    expect(listed[0]).not.toHaveProperty('secret');
    expect(listed[0]?.lastDelivery).toBeNull();

    const got = json<WebhookWithStats>(await run(['--json', 'get', hook.id]));
    expect(got).toMatchObject({ id: hook.id, stats: { deliveries: 0 } });
    expect(got).not.toHaveProperty('secret');

    const added = json<Webhook>(
      await run([
        '--json',
        'update',
        hook.id,
        '--add-event',
        'trade.failed,alert.triggered',
        '--description',
        'renamed',
      ]),
    );
    expect(added).toMatchObject({
      events: ['trade.completed', 'trade.failed', 'alert.triggered'],
      description: 'renamed',
    });
    const removed = json<Webhook>(
      await run([
        '--json',
        'update',
        hook.id,
        '--remove-event',
        'trade.completed',
        '--remove-event',
        'alert.triggered',
      ]),
    );
    expect(removed.events).toEqual(['trade.failed']);

    const disabled = json<Webhook>(await run(['--json', 'update', hook.id, '--disable']));
    expect(disabled.isActive).toBe(false);
    const refused = await run(['--json', 'test', hook.id]);
    expect(refused.exitCode, String(refused.stderr)).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(`v2k-webhooks update ${hook.id} --enable`);
    expect(json<Webhook>(await run(['--json', 'update', hook.id, '--enable'])).isActive).toBe(true);

    const tested = await run(['--json', 'test', hook.id]);
    expect(tested.exitCode, String(tested.stderr)).toBe(0);
    const outcome = json<{ ok: boolean; deliveryId: string; attempt: { statusCode: number; responseBody: string } }>(
      tested,
    );
    expect(outcome).toMatchObject({ ok: true, attempt: { statusCode: 200, responseBody: '{"received":true}' } });
    // The secret create printed is the one that signs: the test delivery verifies with it.
    const testRequest = ok.requests.find((r) => r.headers['x-v2k-delivery'] === outcome.deliveryId);
    expect(testRequest?.headers['x-v2k-event']).toBe('test');
    expect(verify({ payload: testRequest!.body, headers: testRequest!.headers, secret: hook.secret }).ok).toBe(true);

    const afterTest = json<Array<{ lastDelivery: { id: string; status: string; statusCode: number } | null }>>(
      await run(['--json', 'list']),
    );
    expect(afterTest[0]?.lastDelivery).toMatchObject({ id: outcome.deliveryId, status: 'succeeded', statusCode: 200 });

    const deliveries = json<Delivery[]>(await run(['--json', 'deliveries', hook.id]));
    expect(deliveries[0]).toMatchObject({ id: outcome.deliveryId, event: 'test', status: 'succeeded' });
    const one = json<Delivery>(await run(['--json', 'deliveries', hook.id, outcome.deliveryId]));
    expect(one.attempts[0]).toMatchObject({ number: 1, statusCode: 200 });

    const again = json<{ deliveryId: string; redeliveryOf: string }>(
      await run(['--json', 'redeliver', hook.id, outcome.deliveryId]),
    );
    expect(again.deliveryId).toMatch(/^dlv_/);
    expect(again.deliveryId).not.toBe(outcome.deliveryId);
    expect(again.redeliveryOf).toBe(outcome.deliveryId);
    await ok.waitFor((all) => all.some((r) => r.headers['x-v2k-delivery'] === again.deliveryId));

    const rotated = json<WebhookWithSecret>(await run(['--json', 'rotate-secret', hook.id]));
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(hook.secret);

    const triggered = await run([
      '--json',
      'trigger',
      'trade.failed',
      '--set',
      'reason=Card declined',
      '--set',
      'tradeId=123',
      '--count',
      '2',
    ]);
    expect(triggered.exitCode, String(triggered.stderr)).toBe(0);
    const emitted = json<{ sent: Array<{ id: string; deliveries: number }> }>(triggered);
    expect(emitted.sent).toHaveLength(2);
    expect(emitted.sent.every((s) => s.deliveries === 1)).toBe(true);
    const ids = emitted.sent.map((s) => s.id);
    const arrived = await ok.waitFor((all) => ids.every((id) => all.some((r) => r.headers['x-v2k-event-id'] === id)));
    const body = arrived.find((r) => r.headers['x-v2k-event-id'] === ids[0])!;
    expect(body.json()).toMatchObject({ event: 'trade.failed', data: { reason: 'Card declined', tradeId: '123' } });
    // Signed with the rotated secret now.
    expect(verify({ payload: body.body, headers: body.headers, secret: rotated.secret }).ok).toBe(true);

    const deleted = await run(['--json', 'delete', hook.id, '--yes']);
    expect(json(deleted)).toEqual({ id: hook.id, deleted: true });
    const gone = await run(['--json', 'get', hook.id]);
    expect(gone.exitCode, String(gone.stderr)).toBe(1);
    expect(gone.stdout).toBe('');
    expect(gone.stderr).toContain(hook.id);
    expect(json<unknown[]>(await run(['--json', 'list']))).toEqual([]);
  });
});

describe('the lifecycle for people: tables and sentences', () => {
  it('prints each command for reading', async () => {
    const run = asUser(dispatcher, keyOf(users[1] as string));
    const empty = await run(['list']);
    expect(empty.stdout).toMatch(/No webhooks .* yet\. Create one: v2k-webhooks create/);

    const created = await run(['create', '--url', ok.url, '--events', '*']);
    expect(created.exitCode, String(created.stderr)).toBe(0);
    const id = /Created webhook (wh_\w+)/.exec(String(created.stdout))?.[1] as string;
    expect(created.stdout).toMatch(/Secret: whsec_/);
    expect(created.stdout).toContain('Events: *');

    const tested = await run(['test', id]);
    expect(tested.exitCode, String(tested.stderr)).toBe(0);
    expect(tested.stdout).toMatch(/succeeded: HTTP 200 in \d+ms/);
    expect(tested.stdout).toContain('Response: {"received":true}');

    const list = await run(['list']);
    expect(list.stdout).toMatch(/^ID\s+URL\s+EVENTS\s+STATE\s+LAST DELIVERY\n/);
    expect(list.stdout).toMatch(
      new RegExp(`${id}\\s+${ok.url.replace(/[.]/g, '\\.')}\\s+\\*\\s+active\\s+succeeded 200`),
    );

    const got = await run(['get', id]);
    expect(got.stdout).toMatch(/Deliveries\s+1 \(1 succeeded, 0 failed\)/);
    expect(got.stdout).toMatch(/Success rate\s+100%/);

    const updated = await run(['update', id, '--remove-event', 'trade.failed']);
    expect(updated.stdout).toContain(`Updated ${id}.`);
    expect(updated.stdout).toMatch(/Events\s+trade\.completed, alert\.triggered, royalty\.claimed/);
    expect(updated.stdout).not.toMatch(/Events .*trade\.failed/);

    const deliveries = await run(['deliveries', id]);
    expect(deliveries.stdout).toMatch(/^ID\s+EVENT\s+STATUS\s+ATTEMPTS\s+LAST RESULT\s+CREATED\n/);
    const deliveryId = /(dlv_\w+)\s+test\s+succeeded\s+1\s+HTTP 200/.exec(String(deliveries.stdout))?.[1] as string;
    expect(deliveryId).toBeDefined();
    const one = await run(['deliveries', id, deliveryId]);
    expect(one.stdout).toMatch(/#\s+AT\s+RESULT\s+TIME\s+RESPONSE/);
    expect(one.stdout).toMatch(/1\s+\S+\s+HTTP 200\s+\d+ms\s+\{"received":true\}/);

    const redelivered = await run(['redeliver', id, deliveryId]);
    expect(redelivered.stdout).toMatch(/Redelivery queued: dlv_\w+/);

    const rotated = await run(['rotate-secret', id]);
    expect(rotated.stdout).toMatch(new RegExp(`New secret for ${id}.*\\nwhsec_`));
    expect(rotated.stderr).toMatch(/shown only once/);

    const triggered = await run(['trigger', 'portfolio.updated', '--set', 'change=-20']);
    expect(triggered.stdout).toMatch(/^portfolio\.updated evt_\w+ → 1 delivery$/);
    const nobody = await run(['trigger', 'trade.failed']);
    expect(nobody.stdout).toMatch(/→ 0 deliveries/);
    expect(nobody.stderr).toMatch(/No webhook subscribes to trade\.failed/);

    const deleted = await run(['delete', id, '--yes']);
    expect(deleted.stdout).toBe(`Deleted webhook ${id}.`);
  });
});

describe('test', () => {
  it('exits 1 when the receiver answers 500, and shows the status and the start of the response', async () => {
    const api = apiFor(users[2] as string);
    const hook = await api.createWebhook({ url: failing.url, events: ['trade.completed'] });
    const run = asUser(dispatcher, keyOf(users[2] as string));

    const human = await run(['test', hook.id]);
    expect(human.exitCode, String(human.stderr)).toBe(1);
    expect(human.stdout).toMatch(/failed: HTTP 500 in \d+ms/);
    expect(human.stdout).toContain('Response: boom: the database is down');
    expect(human.stderr).toMatch(/did not answer 2xx/);

    const machine = await run(['--json', 'test', hook.id]);
    expect(machine.exitCode, String(machine.stderr)).toBe(1);
    expect(json(machine)).toMatchObject({
      ok: false,
      attempt: { statusCode: 500, responseBody: 'boom: the database is down' },
    });
  });

  it('with --no-wait, only sends it', async () => {
    const api = apiFor(users[3] as string);
    const hook = await api.createWebhook({ url: ok.url, events: ['*'] });
    const run = asUser(dispatcher, keyOf(users[3] as string));
    const result = await run(['--json', 'test', hook.id, '--no-wait']);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const sent = json<{ deliveryId: string; eventId: string }>(result);
    expect(sent.deliveryId).toMatch(/^dlv_/);
    expect(sent.eventId).toMatch(/^evt_/);
    expect(sent).not.toHaveProperty('ok');
    // It really went out.
    await ok.waitFor((all) => all.some((r) => r.headers['x-v2k-delivery'] === sent.deliveryId));
  });
});

describe('test gives up waiting at --timeout', () => {
  it('exit 1 with where to look, while the receiver has not answered yet', async () => {
    // Real time scale: the attempt may take 10 s, and the receiver holds it until released.
    const slow = await startDispatcher({ userKeys: [users[5] as string] });
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const hanging = await startReceiver(async () => {
      await held;
      return { status: 200 };
    });
    try {
      const hook = await createApiClient({ baseUrl: slow.url, apiKey: keyOf(users[5] as string) }).createWebhook({
        url: hanging.url,
        events: ['*'],
      });
      const result = await asUser(slow, keyOf(users[5] as string))(['test', hook.id, '--timeout', '300ms']);
      expect(result.exitCode, String(result.stderr)).toBe(1);
      expect(result.stderr).toMatch(
        /No outcome for test delivery dlv_\w+ within 300ms[\s\S]*v2k-webhooks deliveries wh_\w+ dlv_\w+/,
      );
      expect(hanging.requests).toHaveLength(1);
    } finally {
      release();
      await slow.stop();
      await hanging.close();
    }
  });
});

describe('API errors say what to do', () => {
  it('409: the 11th webhook names the limit', async () => {
    const api = apiFor(users[4] as string);
    for (let i = 0; i < 10; i++) await api.createWebhook({ url: `${ok.url}/${i}`, events: ['*'] });
    const result = await asUser(dispatcher, keyOf(users[4] as string))(['create', '--url', ok.url, '--events', '*']);
    expect(result.exitCode, String(result.stderr)).toBe(1);
    expect(result.stderr).toMatch(/at most 10 webhooks/);
    expect(result.stderr).toMatch(/v2k-webhooks delete/);
  });

  it.each([
    [['get', 'wh_doesnotexist']],
    [['update', 'wh_doesnotexist', '--disable']],
    [['delete', 'wh_doesnotexist', '--yes']],
    [['test', 'wh_doesnotexist']],
    [['rotate-secret', 'wh_doesnotexist']],
    [['deliveries', 'wh_doesnotexist']],
  ])('404 names the id: %j', async (args) => {
    const result = await asUser(dispatcher, keyOf(users[5] as string))(args);
    expect(result.exitCode, String(result.stderr)).toBe(1);
    expect(result.stderr).toMatch(/Not found: webhook wh_doesnotexist/);
    expect(result.stdout).toBe('');
  });

  it("404 for another user's webhook, which stays untouched", async () => {
    const mine = await apiFor(users[5] as string).createWebhook({ url: ok.url, events: ['*'] });
    const other = asUser(dispatcher, keyOf(users[4] as string));
    const result = await other(['delete', mine.id, '--yes']);
    expect(result.exitCode, String(result.stderr)).toBe(1);
    expect(result.stderr).toContain(mine.id);
    expect((await apiFor(users[5] as string).getWebhook(mine.id)).id).toBe(mine.id);
  });
});
