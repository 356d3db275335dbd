import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuideApp } from '../fixtures/guide-express-receiver.js';
import { cli } from '../helpers/cli.js';
import { createRawBodyApp } from '../helpers/express-receivers.js';
import { serve, type Served } from '../helpers/serve.js';
import { runInPty } from '../helpers/pty.js';

// issue 18: `v2k-webhooks check <url>` as people and scripts run it, against real Express receivers.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const GUIDE_ANCHOR = 'https://www.npmjs.com/package/v2k-webhooks#verifying-deliveries-in-your-receiver';
let correct: Served;
let guide: Served;

beforeAll(async () => {
  correct = await serve(createRawBodyApp(SECRET));
  guide = await serve(createGuideApp(SECRET));
});
afterAll(async () => {
  await correct.close();
  await guide.close();
});

describe('check: the report card', () => {
  it('passes a correct receiver: one aligned PASS line per check, exit 0', async () => {
    const result = await cli(['check', `${correct.origin}/webhooks/v2k`, '--secret', SECRET]);
    expect(result.exitCode).toBe(0);
    const lines = String(result.stdout).split('\n');
    const checks = lines.filter((l) => /^ {2}(PASS|WARN|FAIL) {2}/.test(l));
    expect(checks).toHaveLength(15);
    expect(checks.every((l) => l.startsWith('  PASS  '))).toBe(true);
    // The outcome column starts at the same place on every line.
    const column = (l: string) => l.search(/ {2}(\S+ in \d+ms|no redirect|largest)/);
    expect(new Set(checks.map(column)).size).toBe(1);
    expect(result.stdout).toContain('  PASS  accepts trade.completed ');
    expect(result.stdout).toMatch(/\n\n {2}15 passed, 0 warnings, 0 failed$/);
    expect(result.stderr).toMatch(
      /^Checking http:\/\/127\.0\.0\.1:\d+\/webhooks\/v2k \(14 requests, timeout 10s each\)$/,
    );
    expect(result.stdout).not.toContain('\u001b['); // NO_COLOR (the helper sets it)
  });

  it("fails the guide's Express example, says why and shows the raw-body fix, exit 1", async () => {
    const result = await cli(['check', `${guide.origin}/webhooks/v2k`, '--secret', SECRET]);
    expect(result.exitCode).toBe(1);
    const out = String(result.stdout);
    expect(out).toMatch(/^ {2}FAIL {2}verifies the raw body {12}401 in \d+ms$/m);
    expect(out).toMatch(/^ {8}It refused a correctly signed delivery with 401 \("Invalid signature"\);/m);
    expect(out.replace(/\s+/g, ' ')).toContain('Your receiver verifies a re-serialized body');
    expect(out).toContain("\n        const raw = express.raw({ type: 'application/json' }); // exact bytes\n");
    expect(out).toContain(`        See ${GUIDE_ANCHOR}`);
    expect(out).toMatch(/^ {2}WARN {2}refuses a stale timestamp /m);
    expect(out).toMatch(/^ {2}WARN {2}refuses a missing signature {6}500 in/m);
    expect(out).toMatch(/12 passed, 2 warnings, 1 failed/);
    // Every line of the card fits 80 columns off a terminal, code included; links stay whole.
    const long = out.split('\n').filter((l) => l.length > 80 && !l.startsWith('        See https://'));
    expect(long).toEqual([]);
  });

  it('--json: one object per check, then a summary; stdout holds only JSON', async () => {
    const result = await cli(['check', `${guide.origin}/webhooks/v2k`, '--secret', SECRET, '--json']);
    expect(result.exitCode).toBe(1);
    const objects = String(result.stdout)
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(objects).toHaveLength(16);
    expect(objects.slice(0, -1).every((o) => o.type === 'check')).toBe(true);
    expect(objects.find((o) => o.id === 'raw-body')).toMatchObject({
      status: 'fail',
      title: 'verifies the raw body',
      link: GUIDE_ANCHOR,
      answers: [{ status: 401, head: 'Invalid signature' }],
    });
    expect(objects.at(-1)).toMatchObject({ type: 'summary', ok: false, pass: 12, warn: 2, fail: 1, requests: 14 });
  });

  it('--events limits the deliveries to the subscribed types', async () => {
    const result = await cli([
      '--json',
      'check',
      `${correct.origin}/webhooks/v2k`,
      '--events',
      'royalty.claimed,user.kyc.approved',
      '--secret',
      SECRET,
    ]);
    expect(result.exitCode).toBe(0);
    const ids = String(result.stdout)
      .split('\n')
      .map((line) => JSON.parse(line).id as string | undefined);
    expect(ids.filter((id) => id?.startsWith('delivery:'))).toEqual([
      'delivery:royalty.claimed',
      'delivery:user.kyc.approved',
    ]);
  });

  it('reads the secret from V2K_WEBHOOK_SECRET and takes localhost:PORT/path', async () => {
    const port = new URL(correct.origin).port;
    const result = await cli(['check', `127.0.0.1:${port}/webhooks/v2k`, '--events', 'trade.failed'], {
      env: { V2K_WEBHOOK_SECRET: SECRET },
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^ {2}9 passed, 0 warnings, 0 failed$/m);
  });

  it('exits 1 with one line when nothing answers at the URL', async () => {
    const result = await cli(['check', 'http://127.0.0.1:9/hook', '--secret', SECRET]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^ {2}FAIL {2}answers at this URL +connection refused$/m);
    expect(result.stdout).toMatch(/^ {2}0 passed, 0 warnings, 1 failed$/m);
  });

  it.each([
    [['check', 'http://127.0.0.1:9/'], /No secret given.*\n.*--secret whsec_/],
    [
      ['check', 'http://127.0.0.1:9/', '--secret', SECRET, '--events', 'trade.done'],
      /--events: unknown event type "trade.done"/,
    ],
    [['check', 'ftp://example.com/', '--secret', SECRET], /"ftp:\/\/example.com\/" is not a receiver URL/],
    [['check', 'http://127.0.0.1:9/', '--secret', SECRET, '--timeout', '30s'], /--timeout must be .* at most 10s/],
    [['check', '--secret', SECRET], /missing required argument 'url'/],
  ])('usage errors exit 2 with what to do: %j', async (args, message) => {
    const result = await cli(args);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });

  it('at a terminal: colours off with NO_COLOR, the card laid out for its width', async () => {
    const result = await runInPty(['check', `${guide.origin}/webhooks/v2k`, '--secret', SECRET], {
      env: { NO_COLOR: '1' },
      steps: [],
    });
    expect(result.exitCode).toBe(1);
    expect(result.output).toMatch(/Checking http:\/\/127\.0\.0\.1:\d+\/webhooks\/v2k \(14 requests/);
    expect(result.output).toMatch(/ {2}FAIL {2}verifies the raw body {12}401 in \d+ms/);
    expect(result.output).not.toContain('\u001b[');
  });
});
