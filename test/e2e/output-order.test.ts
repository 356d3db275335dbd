import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { startDispatcher, type RunningDispatcher } from '../helpers/dispatcher.js';

// stdout is written once per event-loop turn (src/cli/output.ts); a log line on stderr must still
// come after the data it speaks of, as a person reading a terminal (2>&1) sees them.
let dispatcher: RunningDispatcher;
beforeAll(async () => {
  dispatcher = await startDispatcher();
});
afterAll(async () => {
  await dispatcher.stop();
});

describe('stdout and stderr keep their order', () => {
  it('create prints the secret before the warning to save it', async () => {
    const result = await cli(['create', '--url', 'http://127.0.0.1:9/hook', '--events', '*'], {
      all: true,
      env: { V2K_API_URL: dispatcher.url, V2K_API_KEY: dispatcher.apiKey },
    });
    expect(result.exitCode).toBe(0);
    const all = String(result.all);
    const secretAt = all.search(/whsec_[A-Za-z0-9+/=]+/);
    const warningAt = all.indexOf('Save this secret');
    expect(secretAt).toBeGreaterThan(-1);
    expect(warningAt).toBeGreaterThan(secretAt);
  });
});
