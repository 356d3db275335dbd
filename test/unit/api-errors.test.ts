import { describe, expect, it } from 'vitest';
import { apiError } from '../../src/core/api-errors.js';

const body = (code: string, message: string) => JSON.stringify({ error: { code, message } });

describe('apiError: 409 webhook_disabled says how to enable it once', () => {
  it.each([
    [
      'Webhook wh_1 is disabled after 10 consecutive failed attempts, so it cannot be tested. Enable it first: PATCH /api/webhooks/wh_1 {"isActive": true}.',
      'Webhook wh_1 is disabled after 10 consecutive failed attempts, so it cannot be tested (HTTP 409 webhook_disabled).',
    ],
    ['Webhook wh_1 is disabled.', 'Webhook wh_1 is disabled (HTTP 409 webhook_disabled).'],
    ['disabled', 'disabled (HTTP 409 webhook_disabled).'],
  ])('%s', (serverMessage, message) => {
    const error = apiError(
      409,
      body('webhook_disabled', serverMessage),
      'POST',
      'http://x/api/webhooks/wh_1/test',
      'webhook wh_1',
    );
    expect(error.message).toBe(message);
    expect(`${error.message}\n${error.hint}`.match(/enable it/gi)).toHaveLength(1);
    expect(error.hint).toBe('Enable it first: `v2k-webhooks update wh_1 --enable`.');
  });
});
