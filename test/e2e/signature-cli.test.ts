import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSecret, generateTestHeaders } from '../../src/core/signature.js';
import { cli, tempHome } from '../helpers/cli.js';

const dir = tempHome();
const payloadFile = join(dir, 'body.json');
const body = '{"event":"test","timestamp":"2025-12-02T12:00:00Z","data":{"message":"This is a test webhook"}}';
writeFileSync(payloadFile, body);

describe('verify and sign refuse secrets anyone could sign with (issue 14)', () => {
  it.each([
    ['whsec_', /only the prefix whsec_/],
    ['whsec_!!!!', /"!" at character 7, which is not base64/],
    ['', /is empty/],
  ])('verify --secret %j exits 2 with the reason, even for a signature made with that key', async (secret, reason) => {
    const forged = createHmac('sha256', secret).update(body).digest('hex');
    const result = await cli(['verify', '--secret', secret, '--signature', forged, '--payload', payloadFile]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(reason);
    expect(result.stderr).toMatch(/rotate-secret/);
  });

  it('verify exits 2 for a bad secret among good ones (a rotation list)', async () => {
    const good = generateSecret();
    const signature = generateTestHeaders({ payload: body, secret: good })['x-v2k-signature'] as string;
    const result = await cli([
      'verify',
      '--secret',
      good,
      '--secret',
      'whsec_',
      '--signature',
      signature,
      '--payload',
      payloadFile,
    ]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/Secret #2 of 2 is only the prefix/);
  });

  it.each(['whsec_', 'whsec_!!!!', ''])('sign --secret %j exits 2 and prints no signature', async (secret) => {
    for (const args of [[], ['--headers']]) {
      const result = await cli(['sign', '--secret', secret, '--payload', payloadFile, ...args]);
      expect(result.exitCode).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/secret/i);
    }
  });

  it('verify --tolerance 0 exits 2: a tolerance is a number of seconds above 0', async () => {
    const secret = generateSecret();
    const signature = generateTestHeaders({ payload: body, secret })['x-v2k-signature'] as string;
    const result = await cli([
      'verify',
      '--secret',
      secret,
      '--signature',
      signature,
      '--payload',
      payloadFile,
      '--tolerance',
      '0',
    ]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/--tolerance <seconds>' argument '0' is invalid. expected a number above 0/);
  });
});

describe('verify --signature reads a webhook-signature as the library does (issue 14)', () => {
  const secret = generateSecret();
  const headers = generateTestHeaders({ payload: body, secret });
  const valid = headers['webhook-signature'] as string;
  const run = (signature: string) =>
    cli([
      'verify',
      '--secret',
      secret,
      '--signature',
      signature,
      '--id',
      headers['webhook-id'] as string,
      '--timestamp',
      headers['webhook-timestamp'] as string,
      '--payload',
      payloadFile,
    ]);

  it.each([
    ['an ed25519 (v1a) entry first', `v1a,${Buffer.alloc(64, 5).toString('base64')} ${valid}`],
    ['a v2 entry first', `v2,${Buffer.alloc(32, 5).toString('base64')} ${valid}`],
    ['a leading space', ` ${valid}`],
    ['a wrong v1 entry first', `v1,${Buffer.alloc(32, 5).toString('base64')} ${valid}`],
  ])('%s: verified, exit 0', async (_name, signature) => {
    const result = await run(signature);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^verified/);
  });

  it('only entries of unknown versions: exit 1, saying there is no v1 signature', async () => {
    const result = await run(`v1a,${Buffer.alloc(64, 5).toString('base64')}`);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/bad signature: webhook-signature holds no v1/);
  });

  it('an X-V2K-Signature with surrounding whitespace or in uppercase is still one', async () => {
    const hex = headers['x-v2k-signature'] as string;
    for (const signature of [` ${hex}\n`, hex.toUpperCase()]) {
      const result = await cli(['verify', '--secret', secret, '--signature', signature, '--payload', payloadFile]);
      expect(result.exitCode).toBe(0);
    }
  });
});
