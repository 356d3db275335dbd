import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli, tempHome } from '../helpers/cli.js';
import { startDispatcher, type RunningDispatcher } from '../helpers/dispatcher.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { startListen } from '../e2e/listen/spawn.js';
import { call, readDatabase } from './support.js';

/**
 * Issue 8: users see only their own things (404 otherwise), nothing answers without a good key
 * (401), and no secret — webhook secret or API key — shows anywhere but where SPEC §3 puts it
 * (the answers of create and rotate-secret; what `listen --register` hands the app: its --json ready
 * line, --print-secret; issue 17). The config file is 0600.
 */
const ALICE = 'alice_iso_key_0123456789abcdef';
const BOB = 'bob_iso_key_0123456789abcdef';
const KEYS = [ALICE, BOB];

/** Every secret handed out so far, and the API keys: none may appear where it should not. */
const secrets: string[] = [];
function expectNoSecret(text: string, where: string): void {
  for (const secret of [...secrets, ...KEYS]) {
    expect(text.includes(secret), `${where} shows ${secret}`).toBe(false);
    if (secret.startsWith('whsec_'))
      expect(text.includes(secret.slice('whsec_'.length)), `${where} shows the key of ${secret}`).toBe(false);
  }
}

let dispatcher: RunningDispatcher;
let aliceReceiver: Receiver;
let bobReceiver: Receiver;
const ids = { alice: '', aliceGone: '', bob: '', aliceDelivery: '', aliceFailed: '', bobDelivery: '' };

async function waitForStatus(key: string, webhookId: string, deliveryId: string, status: string): Promise<void> {
  for (let waited = 0; waited < 10_000; waited += 20) {
    const res = await call(dispatcher.url, 'GET', `/api/webhooks/${webhookId}/deliveries/${deliveryId}`, key);
    if (res.body?.status === status) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`delivery ${deliveryId} never became ${status}`);
}

beforeAll(async () => {
  // Alice's receiver refuses trade.failed, so her webhook has failed attempts and an error log.
  aliceReceiver = await startReceiver((r) =>
    String(r.headers['x-v2k-event']) === 'trade.failed' ? { status: 500, body: 'no' } : {},
  );
  bobReceiver = await startReceiver();
  dispatcher = await startDispatcher({ timeScale: 0.05, userKeys: [`${ALICE}:user_alice`, `${BOB}:user_bob`] });
  const create = async (key: string, url: string): Promise<string> => {
    const res = await call(dispatcher.url, 'POST', '/api/webhooks', key, { url, events: ['*'], description: 'iso' });
    expect(res.status).toBe(201);
    secrets.push(res.body.secret as string);
    return res.body.id as string;
  };
  ids.alice = await create(ALICE, aliceReceiver.url);
  ids.aliceGone = await create(ALICE, `${aliceReceiver.url}/gone`);
  ids.bob = await create(BOB, bobReceiver.url);
  expect((await call(dispatcher.url, 'DELETE', `/api/webhooks/${ids.aliceGone}`, ALICE)).status).toBe(204);

  const rotated = await call(dispatcher.url, 'POST', `/api/webhooks/${ids.alice}/rotate-secret`, ALICE);
  secrets.push(rotated.body.secret as string);
  const ok = await call(dispatcher.url, 'POST', `/api/webhooks/${ids.alice}/test`, ALICE);
  ids.aliceDelivery = ok.body.deliveryId as string;
  await call(dispatcher.url, 'POST', '/api/events', ALICE, {
    event: 'trade.failed',
    data: { tradeId: 't', userId: 'u', reason: 'r' },
  });
  const bobTest = await call(dispatcher.url, 'POST', `/api/webhooks/${ids.bob}/test`, BOB);
  ids.bobDelivery = bobTest.body.deliveryId as string;
  await waitForStatus(ALICE, ids.alice, ids.aliceDelivery, 'succeeded');
  await waitForStatus(BOB, ids.bob, ids.bobDelivery, 'succeeded');
  const list = await call(dispatcher.url, 'GET', `/api/webhooks/${ids.alice}/deliveries?status=pending`, ALICE);
  ids.aliceFailed = list.body.data.find((d: { event: string }) => d.event === 'trade.failed')?.id ?? '';
  if (ids.aliceFailed === '') {
    const all = await call(dispatcher.url, 'GET', `/api/webhooks/${ids.alice}/deliveries`, ALICE);
    ids.aliceFailed = all.body.data.find((d: { event: string }) => d.event === 'trade.failed').id as string;
  }
  await waitForStatus(ALICE, ids.alice, ids.aliceFailed, 'failed');
});

afterAll(async () => {
  await dispatcher?.stop();
  await aliceReceiver?.close();
  await bobReceiver?.close();
});

/** Every route of SPEC §3 that takes ids, with `wh` and `dlv` filled in. */
function idRoutes(wh: string, dlv: string): Array<[string, string, unknown?]> {
  return [
    ['GET', `/api/webhooks/${wh}`],
    ['PATCH', `/api/webhooks/${wh}`, { description: 'taken over' }],
    ['PATCH', `/api/webhooks/${wh}`, { isActive: false }],
    ['POST', `/api/webhooks/${wh}/test`],
    ['POST', `/api/webhooks/${wh}/rotate-secret`],
    ['GET', `/api/webhooks/${wh}/deliveries`],
    ['GET', `/api/webhooks/${wh}/deliveries?status=failed&limit=5`],
    ['GET', `/api/webhooks/${wh}/deliveries/${dlv}`],
    ['POST', `/api/webhooks/${wh}/deliveries/${dlv}/redeliver`],
    ['DELETE', `/api/webhooks/${wh}`],
  ];
}

describe('isolation between users', () => {
  it("answers 404 to every route called with another user's ids, alone or mixed with the caller's own, and changes nothing", async () => {
    const before = await call(dispatcher.url, 'GET', `/api/webhooks/${ids.alice}`, ALICE);
    const aliceRequests = aliceReceiver.requests.length;
    const probes: Array<{ key: string; wh: string; dlv: string; why: string }> = [
      { key: BOB, wh: ids.alice, dlv: ids.aliceDelivery, why: "Bob with Alice's webhook and delivery" },
      { key: BOB, wh: ids.bob, dlv: ids.aliceDelivery, why: "Bob with his webhook and Alice's delivery" },
      { key: BOB, wh: ids.bob, dlv: ids.aliceFailed, why: "Bob with his webhook and Alice's failed delivery" },
      { key: ALICE, wh: ids.bob, dlv: ids.bobDelivery, why: "Alice with Bob's webhook and delivery" },
      { key: ALICE, wh: ids.alice, dlv: ids.bobDelivery, why: "Alice with her webhook and Bob's delivery" },
      { key: ALICE, wh: ids.aliceGone, dlv: ids.aliceDelivery, why: 'Alice with her deleted webhook' },
      { key: BOB, wh: ids.aliceGone, dlv: ids.aliceDelivery, why: "Bob with Alice's deleted webhook" },
    ];
    let tried = 0;
    for (const probe of probes) {
      for (const [method, path, body] of idRoutes(probe.wh, probe.dlv)) {
        // Routes on the caller's own webhook without a delivery id are legitimately theirs.
        if (probe.wh === ids.bob && probe.key === BOB && !path.includes('/deliveries/')) continue;
        if (probe.wh === ids.alice && probe.key === ALICE && !path.includes('/deliveries/')) continue;
        const res = await call(dispatcher.url, method, path, probe.key, body);
        expect(res.status, `${probe.why}: ${method} ${path}`).toBe(404);
        expect(res.body.error.code).toBe('not_found');
        tried++;
      }
    }
    expect(tried).toBeGreaterThanOrEqual(40);
    console.log(`[isolation] ${tried} calls with another user's ids: all 404, nothing changed`);

    // Nothing happened: Alice's webhook is as it was (same secret: her next delivery still verifies with it), no test was sent.
    const after = await call(dispatcher.url, 'GET', `/api/webhooks/${ids.alice}`, ALICE);
    expect(after.body).toEqual(before.body);
    expect(
      aliceReceiver.requests.filter((r) => r.index >= aliceRequests && r.headers['x-v2k-event'] === 'test'),
    ).toEqual([]);
    expect(
      (await call(dispatcher.url, 'GET', '/api/webhooks', BOB)).body.data.map((w: { id: string }) => w.id),
    ).toEqual([ids.bob]);
    expect(
      (await call(dispatcher.url, 'GET', '/api/webhooks', ALICE)).body.data.map((w: { id: string }) => w.id),
    ).toEqual([ids.alice]);
    // Bob's events never reach Alice.
    const emitted = await call(dispatcher.url, 'POST', '/api/events', BOB, {
      event: 'trade.completed',
      data: {
        tradeId: 'b',
        userId: 'user_alice',
        trackId: 't',
        type: 'BUY',
        amount: 1,
        price: 1,
        totalValue: 1,
        txHash: '0x',
      },
    });
    expect(emitted.body.deliveries).toBe(1);
    await bobReceiver.waitFor((all) => all.some((r) => r.headers['x-v2k-event-id'] === emitted.body.id));
    expect(aliceReceiver.requests.some((r) => r.headers['x-v2k-event-id'] === emitted.body.id)).toBe(false);
  });

  it('answers 401 to every route without a key or with a wrong one, and changes nothing', async () => {
    const before = await call(dispatcher.url, 'GET', `/api/webhooks/${ids.alice}`, ALICE);
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/api/webhooks'],
      ['POST', '/api/webhooks', { url: 'https://example.com/x', events: ['*'] }],
      ['POST', '/api/events', { event: 'trade.failed', data: { tradeId: 't', userId: 'u', reason: 'r' } }],
      ...idRoutes(ids.alice, ids.aliceDelivery),
    ];
    const badAuth: Array<[string, Record<string, string>]> = [
      ['no Authorization', {}],
      ['empty Bearer', { authorization: 'Bearer ' }],
      ['Basic with the key', { authorization: `Basic ${Buffer.from(`${ALICE}:`).toString('base64')}` }],
      ['the key without Bearer', { authorization: ALICE }],
      ['the key and one more character', { authorization: `Bearer ${ALICE}x` }],
      ['the key cut short', { authorization: `Bearer ${ALICE.slice(0, -1)}` }],
      ['the key upper-cased', { authorization: `Bearer ${ALICE.toUpperCase()}` }],
      ['the key as a query', {}],
      ['two tokens', { authorization: `Bearer ${ALICE} ${BOB}` }],
    ];
    let tried = 0;
    for (const [why, headers] of badAuth) {
      for (const [method, rawPath, body] of routes) {
        const path =
          why === 'the key as a query' ? `${rawPath}${rawPath.includes('?') ? '&' : '?'}api_key=${ALICE}` : rawPath;
        const res = await call(dispatcher.url, method, path, null, body, headers);
        expect(res.status, `${why}: ${method} ${path}`).toBe(401);
        expect(res.body.error.code).toBe('unauthorized');
        expectNoSecret(res.text, `the 401 answer to ${why}`);
        tried++;
      }
    }
    expect(tried).toBeGreaterThanOrEqual(100);
    console.log(
      `[isolation] ${tried} calls without a key or with a wrong one (${badAuth.length} kinds): all 401, nothing changed`,
    );
    const after = await call(dispatcher.url, 'GET', `/api/webhooks/${ids.alice}`, ALICE);
    expect(after.body).toEqual(before.body);
    expect((await call(dispatcher.url, 'GET', '/api/webhooks', ALICE)).body.data).toHaveLength(1);
  });
});

describe('secrets', () => {
  it('appear in no API answer but those of create and rotate-secret, nor in the dashboard, the deliveries or the log', async () => {
    const texts: Array<[string, string]> = [];
    const adminToken = new URL(dispatcher.adminUrl).searchParams.get('token') as string;
    const get = async (key: string | null, path: string): Promise<void> => {
      const res = await call(dispatcher.url, 'GET', path, key);
      expect(res.status, path).toBe(200);
      texts.push([`GET ${path}`, res.text]);
    };
    for (const [key, wh, dlv] of [
      [ALICE, ids.alice, ids.aliceFailed],
      [ALICE, ids.alice, ids.aliceDelivery],
      [BOB, ids.bob, ids.bobDelivery],
    ] as const) {
      await get(key, '/api/webhooks');
      await get(key, `/api/webhooks/${wh}`);
      for (const status of ['', '?status=succeeded', '?status=failed', '?limit=100'])
        await get(key, `/api/webhooks/${wh}/deliveries${status}`);
      await get(key, `/api/webhooks/${wh}/deliveries/${dlv}`);
      await get(null, `/admin/api/webhooks/${wh}/deliveries/${dlv}?token=${adminToken}`);
      await get(null, `/admin/api/overview?webhook=${wh}&token=${adminToken}`);
    }
    await get(null, '/admin/webhooks');
    await get(null, '/admin');
    await get(null, `/admin/api/overview?token=${adminToken}`);
    await get(null, '/healthz');
    // Answers of the other writes.
    const patch = await call(dispatcher.url, 'PATCH', `/api/webhooks/${ids.bob}`, BOB, { description: 'patched' });
    const test = await call(dispatcher.url, 'POST', `/api/webhooks/${ids.bob}/test`, BOB);
    const redeliver = await call(
      dispatcher.url,
      'POST',
      `/api/webhooks/${ids.alice}/deliveries/${ids.aliceFailed}/redeliver`,
      ALICE,
    );
    const event = await call(dispatcher.url, 'POST', '/api/events', ALICE, {
      event: 'trade.failed',
      data: { tradeId: 't', userId: 'u', reason: 'r' },
    });
    for (const [name, res] of [
      ['PATCH', patch],
      ['test', test],
      ['redeliver', redeliver],
      ['events', event],
    ] as const) {
      expect(res.status, name).toBeLessThan(300);
      texts.push([name, res.text]);
    }
    // What receivers got, and everything the dispatcher printed.
    for (const r of [...aliceReceiver.requests, ...bobReceiver.requests])
      texts.push([
        `delivery ${String(r.headers['x-v2k-delivery'])}`,
        JSON.stringify(r.headers) + r.body.toString('utf8'),
      ]);
    texts.push(['dispatcher stdout', JSON.stringify(dispatcher.lines)], ['dispatcher stderr', dispatcher.stderr()]);

    expect(secrets.length).toBe(4);
    expect(texts.length).toBeGreaterThan(40);
    for (const [where, text] of texts) expectNoSecret(text, where);
    console.log(
      `[secrets] ${texts.length} API answers, dashboard views, deliveries and log streams searched for ${secrets.length} secrets and ${KEYS.length} API keys: none found`,
    );
    // The check can fail: the secret is in the answer of rotate-secret, where it belongs.
    const rotated = await call(dispatcher.url, 'POST', `/api/webhooks/${ids.bob}/rotate-secret`, BOB);
    secrets.push(rotated.body.secret as string);
    expect(() => expectNoSecret(rotated.text, 'rotate-secret')).toThrow();
  });

  it("appear in the dispatcher's human log neither", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'v2k-iso-'));
    const home = tempHome();
    const child = execa(
      'node',
      [
        BIN,
        'dispatcher',
        '--port',
        '0',
        '--db',
        join(dir, 'd.db'),
        '--time-scale',
        '0.05',
        '--user-key',
        `${ALICE}:user_alice`,
      ],
      {
        reject: false,
        env: { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), NO_COLOR: '1' },
      },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no URL printed')), 15_000);
        const seen = (line: string): void => {
          const match = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line);
          if (match && !line.includes('/admin')) {
            clearTimeout(timer);
            resolve(match[1] as string);
          }
        };
        createInterface({ input: child.stdout }).on('line', seen);
        createInterface({ input: child.stderr }).on('line', seen);
      });
      const receiver = await startReceiver({ status: 500 });
      try {
        const created = await call(url, 'POST', '/api/webhooks', ALICE, { url: receiver.url, events: ['*'] });
        const secret = created.body.secret as string;
        await call(url, 'POST', `/api/webhooks/${created.body.id as string}/test`, ALICE);
        await receiver.waitForCount(4); // every attempt failed and was logged
        child.kill('SIGTERM');
        const result = await child;
        const output = `${String(result.stdout)}\n${String(result.stderr)}`;
        expect(output).toMatch(/attempt 4\/4/);
        expect(output.includes(secret)).toBe(false);
        expect(output.includes(ALICE)).toBe(false);
      } finally {
        await receiver.close();
      }
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('are printed by the management CLI only for create and rotate-secret', async () => {
    const home = tempHome();
    const run = (args: string[]) =>
      cli(['--api-url', dispatcher.url, '--api-key', BOB, ...args], { env: { HOME: home } });
    const created = await run([
      '--json',
      'create',
      '--url',
      bobReceiver.url,
      '--events',
      'trade.completed',
      '--description',
      'cli',
    ]);
    expect(created.exitCode, String(created.stderr)).toBe(0);
    const webhook = JSON.parse(String(created.stdout)) as { id: string; secret: string };
    secrets.push(webhook.secret);
    const human = await run(['create', '--url', bobReceiver.url, '--events', '*']);
    expect(human.exitCode).toBe(0);
    const humanSecret = /whsec_[A-Za-z0-9+/=]+/.exec(String(human.stdout))?.[0];
    expect(humanSecret).toBeDefined(); // printed once, at creation
    secrets.push(humanSecret as string);
    const testRun = await run(['--json', 'test', webhook.id]);
    const delivery = JSON.parse(String(testRun.stdout)) as { deliveryId?: string; delivery?: { id: string } };
    const deliveryId = delivery.deliveryId ?? delivery.delivery?.id ?? ids.bobDelivery;

    const outputs: Array<[string, string]> = [];
    for (const json of [true, false]) {
      for (const args of [
        ['list'],
        ['get', webhook.id],
        ['deliveries', webhook.id],
        ['test', webhook.id],
        ['update', webhook.id, '--description', 'changed'],
        ['redeliver', webhook.id, deliveryId],
        ['config', 'list'],
      ]) {
        const result = await run(json ? ['--json', ...args] : args);
        expect(result.exitCode, `${args.join(' ')}: ${String(result.stderr)}`).toBeLessThanOrEqual(1);
        outputs.push([
          `${json ? '--json ' : ''}${args.join(' ')}`,
          `${String(result.stdout)}\n${String(result.stderr)}`,
        ]);
      }
    }
    for (const [where, text] of outputs) expectNoSecret(text, `v2k-webhooks ${where}`);
    const rotated = await run(['--json', 'rotate-secret', webhook.id]);
    const fresh = (JSON.parse(String(rotated.stdout)) as { secret: string }).secret;
    expect(fresh).toMatch(/^whsec_/);
    secrets.push(fresh);
  });

  it('are printed by listen only in its --json ready line (never in its logs, events or record file)', async () => {
    const own = await startDispatcher({ timeScale: 0.05, userKeys: [`${ALICE}:user_alice`] });
    const dir = mkdtempSync(join(tmpdir(), 'v2k-iso-listen-'));
    const record = join(dir, 'record.jsonl');
    try {
      const env = { V2K_API_URL: own.url, V2K_API_KEY: ALICE };
      const quiet = await startListen(['--register', '--record', record], env);
      const loud = await startListen(['--register', '--print-secret'], env);
      const emitted = await call(own.url, 'POST', '/api/events', ALICE, {
        event: 'trade.failed',
        data: { tradeId: 't', userId: 'u', reason: 'r' },
      });
      expect(emitted.body.deliveries).toBe(2);
      const [quietEvents] = await Promise.all([quiet.waitForEvents(1), loud.waitForEvents(1)]);
      expect(quietEvents[0]).toMatchObject({ verdict: { ok: true } }); // it verified with the secret it got back
      const quietOut = await quiet.stop();
      const loudOut = await loud.stop();
      await own.stop();

      const webhooks = readDatabase(own.dbPath).webhooks;
      const quietSecret = webhooks.find((w) => w.id === (quiet.ready.webhook as { id: string }).id)?.secret as string;
      const loudSecret = webhooks.find((w) => w.id === (loud.ready.webhook as { id: string }).id)?.secret as string;
      expect(quietSecret).toMatch(/^whsec_/);
      // Issue 17: the --json ready line carries the secret the app needs (as `stripe listen`
      // prints it) — that line only: no event line, no log line, not the record file.
      expect(quiet.ready.secret).toBe(quietSecret);
      const [, ...afterReady] = quietOut.stdout.split('\n');
      for (const [where, text] of [
        ['stdout after the ready line', afterReady.join('\n')],
        ['stderr', quietOut.stderr],
        ['record file', readFileSync(record, 'utf8')],
      ] as const) {
        expect(text.includes(quietSecret), `listen --register ${where}`).toBe(false);
        expect(text.includes(ALICE), `listen --register ${where} shows the API key`).toBe(false);
      }
      // With --print-secret: in the ready line, and nowhere else.
      expect(loud.ready.secret).toBe(loudSecret);
      expect(loudOut.stdout.split('\n').filter((line) => line.includes(loudSecret))).toHaveLength(1);
      expect(loudOut.stderr.includes(loudSecret)).toBe(false);
    } finally {
      own.kill();
    }
  });
});

describe('the config file', () => {
  it('is 0600 after login, config set and a second profile, even when it was looser before', async () => {
    const home = tempHome();
    const dir = join(home, '.config', 'v2k-webhooks');
    const file = join(dir, 'config.json');
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, JSON.stringify({ profiles: {} }));
    chmodSync(file, 0o644);
    const run = (args: string[]) => cli(args, { env: { HOME: home } });
    const steps: string[][] = [
      ['login', '--api-url', dispatcher.url, '--api-key', ALICE],
      ['config', 'set', 'api-url', dispatcher.url],
      ['login', '--api-url', dispatcher.url, '--api-key', BOB, '--profile', 'bob'],
      ['logout', '--profile', 'bob'],
    ];
    for (const step of steps) {
      const result = await run(step);
      expect(result.exitCode, `${step.join(' ')}: ${String(result.stderr)}`).toBe(0);
      expect(statSync(file).mode & 0o777, step.join(' ')).toBe(0o600);
      expectNoSecret(`${String(result.stdout)}${String(result.stderr)}`, step.join(' '));
    }
    expect(readFileSync(file, 'utf8')).toContain(ALICE); // it is where the key lives
  });
});
