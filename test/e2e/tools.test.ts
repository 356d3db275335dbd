import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempHome } from '../helpers/cli.js';
import { EVENT_CATALOG, EVENT_TYPES } from '../../src/core/events.js';
import { sign } from '../../src/core/signature.js';

const SECRET = 'whsec_xyz789';
const dir = tempHome();
const payloadFile = join(dir, 'trade.json');
const body =
  '{"event":"trade.completed","timestamp":"2025-12-02T12:00:00Z","data":{"tradeId":"tx_123","userId":"user_456","trackId":"track_789","type":"BUY","amount":100,"price":1.5,"totalValue":150,"txHash":"0x..."}}';
writeFileSync(payloadFile, body);

describe('sign and verify', () => {
  it('round-trips: the signature sign prints, verify accepts (exit 0)', async () => {
    const signed = await cli(['sign', '--secret', SECRET, '--payload', payloadFile]);
    expect(signed.exitCode).toBe(0);
    // Same digest as Python's hmac.new(b'whsec_xyz789', body, hashlib.sha256).hexdigest()
    expect(signed.stdout).toBe('528b264e4502aa450f86eee7cdf8cbc9c2e25bb57facdb0ea342bdd2dbabfd0d');

    const verified = await cli([
      'verify',
      '--secret',
      SECRET,
      '--signature',
      String(signed.stdout),
      '--payload',
      payloadFile,
    ]);
    expect(verified.exitCode).toBe(0);
    expect(verified.stdout).toMatch(/^verified/);
  });

  it('reads the payload from stdin', async () => {
    const signed = await cli(['sign', '--payload', '-'], {
      input: body,
      stdin: undefined,
      env: { V2K_WEBHOOK_SECRET: SECRET },
    });
    expect(signed.stdout).toBe('528b264e4502aa450f86eee7cdf8cbc9c2e25bb57facdb0ea342bdd2dbabfd0d');
  });

  it('rejects a tampered payload with exit 1 and the reason', async () => {
    const signed = await cli(['sign', '--secret', SECRET, '--payload', payloadFile]);
    const tampered = join(dir, 'tampered.json');
    writeFileSync(tampered, body.replace('"amount":100', '"amount":900'));
    const result = await cli([
      'verify',
      '--secret',
      SECRET,
      '--signature',
      String(signed.stdout),
      '--payload',
      tampered,
    ]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/bad signature: .*raw request body/);

    const json = await cli([
      '--json',
      'verify',
      '--secret',
      SECRET,
      '--signature',
      String(signed.stdout),
      '--payload',
      tampered,
    ]);
    expect(json.exitCode).toBe(1);
    expect(JSON.parse(String(json.stdout))).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('prints every delivery header with --headers, and verify accepts the v1 signature', async () => {
    const signed = await cli([
      '--json',
      'sign',
      '--secret',
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      '--payload',
      payloadFile,
      '--headers',
    ]);
    const { headers } = JSON.parse(String(signed.stdout)) as { headers: Record<string, string> };
    expect(Object.keys(headers)).toEqual(
      expect.arrayContaining(['x-v2k-signature', 'webhook-id', 'webhook-timestamp', 'webhook-signature']),
    );
    const result = await cli([
      'verify',
      '--secret',
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      '--signature',
      headers['webhook-signature'] as string,
      '--id',
      headers['webhook-id'] as string,
      '--timestamp',
      headers['webhook-timestamp'] as string,
      '--payload',
      payloadFile,
    ]);
    expect(result.exitCode).toBe(0);
  });
});

describe('events', () => {
  it('lists the catalog as a table', async () => {
    const result = await cli(['events']);
    expect(result.exitCode).toBe(0);
    for (const type of EVENT_TYPES) expect(result.stdout).toContain(type);
    expect(result.stdout).toMatch(/^EVENT\s+DESCRIPTION/);
  });

  it('gives JSON with --json, before or after the command', async () => {
    for (const args of [
      ['--json', 'events'],
      ['events', '--json'],
    ]) {
      const result = await cli(args);
      const list = JSON.parse(String(result.stdout)) as Array<{ type: string }>;
      expect(list.map((e) => e.type)).toEqual([...EVENT_TYPES, 'test']);
    }
  });

  it('--payload prints only the sample body, byte for byte as a delivery carries it (issue 17)', async () => {
    const result = await cli(['events', 'trade.completed', '--payload']);
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout)).toBe(JSON.stringify(EVENT_CATALOG['trade.completed'].sample));
    // It signs as such: the body file and the piped payload give one signature.
    const piped = await cli(['sign', '--secret', SECRET], { stdin: 'pipe', input: String(result.stdout) });
    expect(piped.stdout).toBe(sign(JSON.stringify(EVENT_CATALOG['trade.completed'].sample), SECRET));
  });

  it('shows one type with its sample', async () => {
    const result = await cli(['--json', 'events', 'royalty.claimed']);
    expect(JSON.parse(String(result.stdout))).toMatchObject({
      type: 'royalty.claimed',
      required: ['userId', 'amount', 'tracks'],
    });
  });
});

describe('usage errors exit 2 with a hint', () => {
  it.each([
    [['events', 'trade.exploded'], /Unknown event type "trade.exploded"[\s\S]*v2k-webhooks events/],
    [['events', 'trade.complete'], /Unknown event type "trade.complete"\. Did you mean "trade\.completed"\?/],
    [['events', '--payload'], /--payload prints the sample of one event type/],
    // Off a terminal with nothing on stdin: a usage error, not the signature of an empty body (issue 17).
    [['sign', '--secret', SECRET], /No payload given: nothing came on stdin[\s\S]*--payload FILE/],
    [['verify', '--secret', SECRET], /--signature/],
    [['sign', '--payload', join(dir, 'missing.json'), '--secret', SECRET], /Cannot read --payload/],
    [['sign', '--payload', payloadFile], /No secret given[\s\S]*V2K_WEBHOOK_SECRET/],
    [['no-such-command'], /unknown command/],
    [['verify', '--secret', SECRET, '--signature', 'v1,abc', '--payload', payloadFile], /--id/],
  ])('%j', async (args, message) => {
    const result = await cli(args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('prints the version and help', async () => {
    const version = await cli(['--version']);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await cli(['--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('Exit codes');
  });

  it.each([
    [['--help']],
    [['list', '--help']],
    [['config', 'get', '-h']],
    [['help', 'create']],
    [['dispatcher', '--help']],
  ])("%j prints from the build's snapshot exactly what commander prints", async (args) => {
    // A leading --json is not a help form the snapshot answers, so commander prints this one.
    const [fast, commander] = await Promise.all([cli(args), cli(['--json', ...args])]);
    expect(fast).toMatchObject({ exitCode: 0, stderr: '' });
    expect(commander).toMatchObject({ exitCode: 0, stderr: '' });
    expect(fast.stdout).toBe(commander.stdout);
    expect(fast.stdout).toMatch(/^Usage: v2k-webhooks/);
  });
});
