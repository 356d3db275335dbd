import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';

// The README's CI recipe, step for step, on free ports: the dispatcher with a fixed key, a
// webhook pointing at `listen`, an app verifying with the secret `create` printed, `listen
// --reject-invalid --expect … --timeout`, events emitted by `trigger` standing in for the app's tests.

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

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
    const ok = given.length === 64 && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
    res.writeHead(ok ? 200 : 401).end(ok ? 'ok' : 'bad signature');
  });
}).listen(Number(process.env.APP_PORT), '127.0.0.1');
`;

const RECIPE = `
set -euo pipefail
v2k() { node "$BIN" "$@"; }
# Background processes are started as node itself, not through v2k(): $! of a backgrounded
# function is a subshell, and killing that would leave node running.
node "$BIN" dispatcher --port "$API_PORT" --db "$WORK/v2k.db" --user-key ci-key:user_ci > "$WORK/dispatcher.log" 2>&1 &
DISPATCHER=$!
APP=
LISTEN=
trap 'kill $DISPATCHER $APP $LISTEN 2>/dev/null || true' EXIT
for i in $(seq 100); do curl -sf "$V2K_API_URL/healthz" > /dev/null && break; sleep 0.1; done
export V2K_WEBHOOK_SECRET=$(v2k create --url "http://127.0.0.1:$RELAY_PORT/" --events '*' --json | jq -r .secret)
node -e "$APP_SOURCE" & APP=$!
node "$BIN" listen --port "$RELAY_PORT" --forward "localhost:$APP_PORT/webhooks/v2k" --reject-invalid \\
  --expect trade.completed --expect "user.kyc.*:2" --timeout "$LISTEN_TIMEOUT" > "$WORK/listen.log" 2>&1 &
LISTEN=$!
for i in $(seq 100); do curl -sf "http://127.0.0.1:$RELAY_PORT/" > /dev/null && break; sleep 0.1; done
for event in $EVENTS; do v2k trigger "$event" > /dev/null; done
set +e; wait $LISTEN; status=$?; set -e
cat "$WORK/listen.log"
exit $status
`;

async function runRecipe(events: string, listenTimeout: string) {
  const [apiPort, relayPort, appPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const work = mkdtempSync(join(tmpdir(), 'v2k-ci-recipe-'));
  return execa('bash', ['-c', RECIPE], {
    reject: false,
    timeout: 60_000,
    env: {
      BIN,
      WORK: work,
      HOME: work,
      XDG_CONFIG_HOME: join(work, '.config'),
      NO_COLOR: '1',
      API_PORT: String(apiPort),
      RELAY_PORT: String(relayPort),
      APP_PORT: String(appPort),
      APP_SOURCE: APP,
      V2K_API_URL: `http://127.0.0.1:${apiPort}`,
      V2K_API_KEY: 'ci-key',
      EVENTS: events,
      LISTEN_TIMEOUT: listenTimeout,
    },
  });
}

describe('the README CI recipe', () => {
  it('passes when every expected event reaches the app, verified', async () => {
    const result = await runRecipe('trade.completed user.kyc.approved user.kyc.rejected', '30s');
    expect(result.stdout).toMatch(/All expectations met: trade\.completed 1\/1, user\.kyc\.\* 2\/2/);
    expect(result.stdout.match(/\[verified\]/g)).toHaveLength(3);
    expect(result.stdout.match(/→ 200 /g)).toHaveLength(3);
    expect(result.exitCode).toBe(0);
  });

  it('fails (exit 1) naming what is missing when an expected event never comes', async () => {
    const result = await runRecipe('trade.completed user.kyc.approved', '3s');
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/user\.kyc\.\*: 1 of 2/);
  });
});
