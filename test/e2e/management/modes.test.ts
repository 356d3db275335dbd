import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../../../src/core/api-client.js';
import { tempHome } from '../../helpers/cli.js';
import { startDispatcher, type RunningDispatcher } from '../../helpers/dispatcher.js';
import { startReceiver, type Receiver } from '../../helpers/receiver.js';
import { asUser, json, keyOf, userKeys } from './setup.js';

// Off a TTY (how cli() runs the CLI): no prompts, spinners or colours; input a prompt would ask
// for is exit 2 naming the flag; bad arguments are exit 2 before any call.
const users = userKeys('modes', 3);
let dispatcher: RunningDispatcher;
let receiver: Receiver;
let hookId: string;

beforeAll(async () => {
  [dispatcher, receiver] = await Promise.all([startDispatcher({ timeScale: 0.05, userKeys: users }), startReceiver()]);
  const api = createApiClient({ baseUrl: dispatcher.url, apiKey: keyOf(users[0] as string) });
  hookId = (await api.createWebhook({ url: receiver.url, events: ['trade.completed'] })).id;
});

afterAll(async () => {
  await Promise.all([dispatcher?.stop(), receiver?.close()]);
});

const run = (args: readonly string[], env?: Record<string, string | undefined>) =>
  asUser(dispatcher, keyOf(users[0] as string))(args, env);

describe('input a prompt would ask for: exit 2 naming the flag', () => {
  it.each([
    [['create'], /Missing the webhook URL[\s\S]*Pass --url/],
    [['create', '--url', 'https://example.com/h'], /Missing the events[\s\S]*Pass --events/],
    [['delete', 'wh_any'], /Missing a confirmation to delete wh_any[\s\S]*Pass --yes/],
    [['login'], /Pass --api-key/],
  ])('%j', async (args, message) => {
    // No key at all: the usage error comes first, before credentials are looked for.
    const result = await asUser(dispatcher, '')(args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('nothing was created or deleted', async () => {
    const list = json<Array<{ id: string }>>(await run(['--json', 'list']));
    expect(list.map((h) => h.id)).toEqual([hookId]);
  });
});

describe('bad arguments: exit 2 with what to pass', () => {
  const dataFile = join(tempHome(), 'bad.json');
  writeFileSync(dataFile, '{"userId": 1');
  it.each([
    [
      ['create', '--url', 'ftp://example.com', '--events', '*'],
      /Bad --url "ftp:\/\/example\.com": the URL must use http or https, not ftp\./,
    ],
    [
      ['create', '--url', 'https://example.com/a b', '--events', '*'],
      /Bad --url "https:\/\/example\.com\/a b": the URL must not contain spaces or control characters; percent-encode them/,
    ],
    [
      ['update', 'wh_x', '--url', 'https://exa\nmple.com/'],
      /Bad --url "https:\/\/exa\\nmple\.com\/": the URL must not contain spaces or control characters/,
    ],
    [['create', '--url', 'https://u:p@example.com', '--events', '*'], /must not hold credentials \(user:password@\)/],
    [
      ['create', '--url', 'https://example.com', '--events', 'trade.exploded'],
      /--events: unknown event type "trade\.exploded"[\s\S]*trade\.completed/,
    ],
    [['create', '--url', 'https://example.com', '--events', ','], /--events is empty/],
    [['update', 'wh_x'], /Nothing to update on wh_x[\s\S]*--add-event/],
    [['update', 'wh_x', '--enable', '--disable'], /contradict/],
    [['update', 'wh_x', '--events', '*', '--add-event', 'trade.failed'], /cannot be combined/],
    [['update', 'wh_x', '--add-event', 'nope'], /--add-event: unknown event type "nope"/],
    [['deliveries', 'wh_x', '--status', 'lost'], /Allowed choices are pending, succeeded, failed, cancelled/],
    [['deliveries', 'wh_x', '--limit', '0'], /--limit must be from 1 to 100/],
    [['deliveries', 'wh_x', 'dlv_y', '--status', 'failed'], /do not apply to one delivery/],
    [['test', 'wh_x', '--timeout', 'soon'], /expected a duration/],
    [['trigger', 'trade.exploded'], /Cannot trigger "trade\.exploded"[\s\S]*trade\.completed/],
    // issue 17: typos are named, with the closest valid one.
    [['trigger', 'trade.complete'], /Cannot trigger "trade\.complete"\. Did you mean "trade\.completed"\?/],
    [['trigger', 'trade.completed', '--set', 'amout=250'], /has no field "amout"\. Did you mean "amount"\?/],
    [
      ['create', '--url', 'https://example.com', '--events', 'trade.complted'],
      /unknown event type "trade\.complted"\. Did you mean "trade\.completed"\?/,
    ],
    [['trigger', 'test'], /v2k-webhooks test <id>/],
    [['trigger', 'trade.completed', '--count', '0'], /--count must be between 1/],
    [['trigger', 'trade.completed', '--set', 'amount'], /is not path=value/],
    [
      ['trigger', 'trade.completed', '--set', 'amount=lots'],
      /data\.amount must be a finite number[\s\S]*v2k-webhooks events trade\.completed/,
    ],
    [['trigger', 'trade.completed', '--set', '__proto__.x=1'], /bad path/],
    [['trigger', 'trade.completed', '--data', '{"tradeId":'], /--data is not valid JSON/],
    [['trigger', 'trade.completed', '--data', `@${dataFile}`], /--data is not valid JSON/],
    [
      ['trigger', 'trade.completed', '--data', '@/nonexistent/file.json'],
      /Cannot read --data @\/nonexistent\/file\.json: ENOENT/,
    ],
    [['trigger', 'royalty.claimed', '--data', '{"userId":"u"}'], /data\.amount is required; data\.tracks is required/],
  ])('%j', async (args, message) => {
    const result = await run(args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('create --url localhost:3000 means http://localhost:3000/, as listen --forward reads it (issue 17)', async () => {
    const result = await run(['--json', 'create', '--url', 'localhost:3000', '--events', 'trade.failed']);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(json<{ url: string }>(result).url).toBe('http://localhost:3000/');
    const withPath = await run(['--json', 'create', '--url', '127.0.0.1:8080/hooks', '--events', 'trade.failed']);
    expect(json<{ url: string }>(withPath).url).toBe('http://127.0.0.1:8080/hooks');
  });

  it('removing the last event is refused before the call', async () => {
    const result = await run(['update', hookId, '--remove-event', 'trade.completed']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`leave ${hookId} with no events[\\s\\S]*--add-event`));
    const api = createApiClient({ baseUrl: dispatcher.url, apiKey: keyOf(users[0] as string) });
    expect((await api.getWebhook(hookId)).events).toEqual(['trade.completed']);
  });
});

describe('--json: only JSON on stdout, errors on stderr', () => {
  it('trigger reads --data from a file and from the flag', async () => {
    const file = join(tempHome(), 'kyc.json');
    writeFileSync(file, JSON.stringify({ userId: 'u_1', reason: 'Blurry photo' }));
    const fromFile = await run(['--json', 'trigger', 'user.kyc.rejected', '--data', `@${file}`]);
    expect(fromFile.exitCode).toBe(0);
    expect(json(fromFile)).toMatchObject({
      event: 'user.kyc.rejected',
      data: { reason: 'Blurry photo' },
      sent: [{ deliveries: 0 }],
    });
    expect(fromFile.stderr).toMatch(/No webhook subscribes to user\.kyc\.rejected/);

    const inline = await run([
      'trigger',
      'trade.completed',
      '--data',
      JSON.stringify({ ...sample(), amount: 7, totalValue: 10.5 }),
      '--json',
    ]);
    const sent = json<{ sent: Array<{ id: string }> }>(inline);
    const [arrived] = await receiver.waitFor((all) =>
      all.some((r) => r.headers['x-v2k-event-id'] === sent.sent[0]?.id),
    );
    expect(arrived).toBeDefined();
    const body = receiver.requests.find((r) => r.headers['x-v2k-event-id'] === sent.sent[0]?.id)?.json();
    expect(body).toMatchObject({ data: { amount: 7, totalValue: 10.5 } });
  });

  it.each([[['list']], [['get', 'wh_nope']], [['create', '--url', 'bad', '--events', '*']], [['trigger', 'nope']]])(
    'on failure stdout stays empty: %j',
    async (args) => {
      const result = await run(['--json', ...args]);
      if (result.exitCode === 0) expect(() => json(result)).not.toThrow();
      else expect(result.stdout).toBe('');
    },
  );
});

describe('no colours off a terminal, even without NO_COLOR', () => {
  it('prints plain text', async () => {
    const results = await Promise.all([
      run(['list'], { NO_COLOR: undefined }),
      run(['get', hookId], { NO_COLOR: undefined }),
      run(['create', '--url', receiver.url, '--events', 'trade.failed'], { NO_COLOR: undefined }),
    ]);
    for (const result of results) {
      expect(result.exitCode).toBe(0);
      expect(String(result.stdout) + String(result.stderr)).not.toContain('\u001b[');
    }
    expect(results[2]?.stderr).toMatch(/^warning: Save this secret now/);
  });
});

function sample() {
  return {
    tradeId: 't_9',
    userId: 'u_9',
    trackId: 'tr_9',
    type: 'SELL',
    amount: 1,
    price: 1.5,
    totalValue: 1.5,
    txHash: '0xabc',
  };
}
