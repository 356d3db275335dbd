import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { runIsolatedBash } from '../helpers/isolated-shell.js';
import { parseMarkdown } from '../helpers/markdown.js';

// The README's CI recipe as written: the `run:` script of its "Webhooks end to end" step, read
// from README.md and run as GitHub Actions runs it (bash -eo pipefail), with the job's env, in a
// network of its own so its ports (4000, 4001, 3000) are the ones written. Only what stands for
// the reader's project is replaced, each replacement found exactly once or the test fails:
// `npx v2k-webhooks` by the built bin (npx would go to the registry), `npm start` by a small app
// verifying X-V2K-Signature on :3000, `npm test` by `trigger` calls.

const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

function recipe(): { script: string; env: Record<string, string> } {
  const yaml = parseMarkdown(README).blocks.find((b) => b.lang === 'yaml' && b.code.includes('Webhooks end to end'));
  if (!yaml) throw new Error('README.md has no yaml block with a "Webhooks end to end" step');
  const lines = yaml.code.split('\n');
  const step = lines.findIndex((line) => line.includes('Webhooks end to end'));
  const run = lines.findIndex((line, i) => i > step && /^\s*run: \|\s*$/.test(line));
  const indent = (line: string) => line.length - line.trimStart().length;
  const body: string[] = [];
  for (const line of lines.slice(run + 1)) {
    if (line.trim() !== '' && indent(line) <= indent(lines[run] ?? '')) break;
    body.push(line);
  }
  const margin = Math.min(...body.filter((l) => l.trim() !== '').map(indent));
  const env = Object.fromEntries(
    [...yaml.code.matchAll(/^\s+(V2K_[A-Z_]+): (\S+)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']),
  );
  return { script: body.map((line) => line.slice(margin)).join('\n'), env };
}

function replaceOnce(script: string, what: string | RegExp, by: string): string {
  const count = script.split(what).length - 1;
  if (count !== 1) throw new Error(`The README's recipe holds ${String(what)} ${count} times, not once`);
  return script.replace(what, by);
}

const APP = `
const { createServer } = require('node:http');
const { createHmac, timingSafeEqual } = require('node:crypto');
const secret = process.env.V2K_WEBHOOK_SECRET;
createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const expected = createHmac('sha256', secret).update(Buffer.concat(chunks)).digest('hex');
    const given = String(req.headers['x-v2k-signature'] || '');
    const ok = req.url === '/webhooks/v2k' && given.length === 64 && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
    res.writeHead(ok ? 200 : 401).end(ok ? 'ok' : 'bad signature');
  });
}).listen(3000, '127.0.0.1');
`;

async function runRecipe(events: string, timeout: string) {
  const work = mkdtempSync(join(tmpdir(), 'v2k-ci-recipe-'));
  symlinkSync(BIN, join(work, 'v2k-webhooks'));
  const { script, env } = recipe();
  let steps = script.replaceAll('npx v2k-webhooks', 'v2k-webhooks');
  steps = replaceOnce(steps, /^npm start\b/m, 'node -e "$APP_SOURCE"');
  steps = replaceOnce(
    steps,
    /^npm test\b/m,
    'for event in $EVENTS; do v2k-webhooks trigger "$event" > /dev/null; done;',
  );
  steps = replaceOnce(steps, '--timeout 60s', `--timeout ${timeout}`);
  const path = join(work, 'step.sh');
  writeFileSync(path, `trap 'kill $(jobs -p) 2> /dev/null' EXIT\n${steps}\n`);
  writeFileSync(join(work, 'run.sh'), `exec bash --noprofile --norc -eo pipefail ${JSON.stringify(path)}\n`);
  const result = await runIsolatedBash(
    join(work, 'run.sh'),
    {
      ...env,
      PATH: `${work}:${process.env.PATH ?? ''}`,
      HOME: work,
      XDG_CONFIG_HOME: join(work, '.config'),
      NO_COLOR: '1',
      RUNNER_TEMP: work,
      APP_SOURCE: APP,
      EVENTS: events,
    },
    80_000,
  );
  rmSync(work, { recursive: true, force: true });
  return result;
}

describe("the README's CI recipe", () => {
  it('is a GitHub Actions job with the API in its env and a run step', () => {
    const { script, env } = recipe();
    expect(env).toEqual({ V2K_API_URL: 'http://127.0.0.1:4000', V2K_API_KEY: 'ci-key' });
    expect(script).toMatch(/^npx v2k-webhooks dispatcher /m);
    expect(script).toMatch(/^wait \$LISTEN\b/m);
  });

  it('passes when every expected event reaches the app, verified', async () => {
    const result = await runRecipe('trade.completed user.kyc.approved user.kyc.rejected', '60s');
    const output = `${String(result.stdout)}\n${String(result.stderr)}`;
    expect(output).toMatch(/All expectations met: trade\.completed 1\/1, user\.kyc\.\* 2\/2/);
    expect(output.match(/\[verified\]/g)).toHaveLength(3);
    expect(output.match(/→ 200 /g)).toHaveLength(3);
    expect(result.exitCode, output).toBe(0);
  }, 90_000);

  it('fails (exit 1) naming what is missing when an expected event never comes', async () => {
    const result = await runRecipe('trade.completed user.kyc.approved', '6s');
    const output = `${String(result.stdout)}\n${String(result.stderr)}`;
    expect(result.exitCode, output).toBe(1);
    expect(output).toMatch(/user\.kyc\.\*: 1 of 2/);
  });
});
