import { verify as octokitVerify, sign as octokitSign } from '@octokit/webhooks-methods';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { Webhook as SvixWebhook } from 'svix';
import { EVENT_CATALOG } from '../dist/core/events.js';
import { generateSecret, generateTestHeaders, verify } from '../dist/core/signature.js';
import { median, row, type Row } from './stats.js';

type Op = () => unknown;

/** Operations per second of `op` over `ms` milliseconds (async ops are awaited one by one). */
async function opsPerSecond(op: Op, ms: number): Promise<number> {
  const first = op();
  const isAsync = first instanceof Promise;
  if (isAsync) await first;
  let count = 0;
  const start = performance.now();
  const end = start + ms;
  if (isAsync) {
    while (performance.now() < end) {
      for (let i = 0; i < 100; i++) await op();
      count += 100;
    }
  } else {
    while (performance.now() < end) {
      for (let i = 0; i < 1000; i++) op();
      count += 1000;
    }
  }
  return count / ((performance.now() - start) / 1000);
}

/**
 * 2. verify(): ours against svix, standardwebhooks, stripe and octokit on the guide's
 * trade.completed payload. Each library checks its own scheme with one HMAC-SHA256; ours is
 * measured per scheme and with both schemes present (two HMACs: not the same work).
 */
export async function measureVerify({ ms, rounds }: { ms: number; rounds: number }): Promise<Row[]> {
  const payload = JSON.stringify(EVENT_CATALOG['trade.completed'].sample);
  const secret = generateSecret();
  const all = generateTestHeaders({ payload, secret });
  const v2kOnly = { 'x-v2k-signature': all['x-v2k-signature'] as string };
  const standardOnly = {
    'webhook-id': all['webhook-id'] as string,
    'webhook-timestamp': all['webhook-timestamp'] as string,
    'webhook-signature': all['webhook-signature'] as string,
  };

  const svix = new SvixWebhook(secret);
  const standard = new StandardWebhook(secret);
  const stripe = new Stripe('sk_test_bench');
  const stripeHeader = stripe.webhooks.generateTestHeaderString({ payload, secret });
  const octokitSignature = await octokitSign(secret, payload);

  const ops: Record<string, Op> = {
    'ours: X-V2K-Signature': () => assertOk(verify({ payload, secret, headers: v2kOnly })),
    'ours: Standard Webhooks headers': () => assertOk(verify({ payload, secret, headers: standardOnly })),
    'ours: every header (both schemes)': () => assertOk(verify({ payload, secret, headers: all })),
    svix: () => svix.verify(payload, standardOnly),
    standardwebhooks: () => standard.verify(payload, standardOnly),
    stripe: () => stripe.webhooks.constructEvent(payload, stripeHeader, secret),
    '@octokit/webhooks-methods': async () => {
      if (!(await octokitVerify(secret, payload, octokitSignature))) throw new Error('octokit did not verify');
    },
  };

  const results: Record<string, number[]> = Object.fromEntries(Object.keys(ops).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, op] of Object.entries(ops)) results[name]?.push(await opsPerSecond(op, ms));
  }
  const medians = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
  const competitors = ['svix', 'standardwebhooks', 'stripe', '@octokit/webhooks-methods'];
  const fastest = competitors.reduce((best, name) => ((medians[name] ?? 0) > (medians[best] ?? 0) ? name : best));
  const fastestOps = medians[fastest] ?? Number.NaN;

  const rows: Row[] = [];
  for (const name of competitors) {
    rows.push(
      row({
        measure: `verify(): ${name}`,
        ours: medians[name] ?? Number.NaN,
        baseline: fastestOps,
        baselineName: fastest,
        unit: 'ops/s',
        target: '',
      }),
    );
  }
  // Against the libraries doing the same scheme too: octokit and stripe check a cheaper one.
  const sameScheme: Record<string, string[]> = {
    'ours: X-V2K-Signature': ['@octokit/webhooks-methods', 'stripe'],
    'ours: Standard Webhooks headers': ['svix', 'standardwebhooks'],
  };
  for (const [name, peers] of Object.entries(sameScheme)) {
    const peer = peers.reduce((best, p) => ((medians[p] ?? 0) > (medians[best] ?? 0) ? p : best));
    const ours = medians[name] ?? Number.NaN;
    rows.push(
      row({
        measure: `verify(): ${name}`,
        ours,
        baseline: fastestOps,
        baselineName: fastest,
        unit: 'ops/s',
        target: '≥ 1.0×',
        check: (ratio) => ratio >= 1,
        note: `${(ours / (medians[peer] ?? Number.NaN)).toFixed(2)}× ${peer}, the fastest library checking the same scheme`,
      }),
    );
  }
  rows.push(
    row({
      measure: 'verify(): ours: every header (both schemes)',
      ours: medians['ours: every header (both schemes)'] ?? Number.NaN,
      baseline: fastestOps,
      baselineName: fastest,
      unit: 'ops/s',
      target: '',
      note: 'two HMACs per call: twice the work of any other row',
    }),
  );
  return rows;
}

function assertOk(result: { ok: boolean; message: string }): void {
  if (!result.ok) throw new Error(`our verify failed in the bench: ${result.message}`);
}
