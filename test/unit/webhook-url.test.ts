import { describe, expect, it } from 'vitest';
import { validateCreate, validatePatch } from '../../src/dispatcher/http/validate.js';
import { HttpError } from '../../src/dispatcher/http/errors.js';
import { requireWebhookUrl } from '../../src/cli/webhook-view.js';
import { UsageError } from '../../src/core/errors.js';
import { checkWebhookUrl } from '../../src/core/webhook-url.js';

// One rule for a webhook URL (SPEC §3), used by the CLI and the dispatcher alike.
const CASES: Array<[string, RegExp | undefined]> = [
  ['https://example.com/hook', undefined],
  ['http://127.0.0.1:3000/', undefined],
  ['https://example.com/a%20b?x=1#frag', undefined],
  [`https://example.com/${'a'.repeat(2048 - 'https://example.com/'.length)}`, undefined],
  [`https://example.com/${'a'.repeat(2049 - 'https://example.com/'.length)}`, /is 2049 characters long; at most 2048/],
  ['', /is required/],
  ['   ', /is required/],
  ['example.com/hook', /not an absolute URL/],
  ['ftp://example.com', /must use http or https, not ftp/],
  ['javascript:alert(1)', /must use http or https, not javascript/],
  ['https://user:pw@example.com', /must not hold credentials/],
  ['https://user@example.com', /must not hold credentials/],
  ['https://example.com/a b', /must not contain spaces or control characters/],
  [' https://example.com/', /must not contain spaces/],
  ['https://exa\nmple.com/', /control characters/], // the URL parser would drop the line break and read example.com
  ['https://example.com/\t', /control characters/],
  ['https://example.com/\u0000', /control characters/],
  ['https://example.com/\u007f', /control characters/],
  ['https://example.com/\u0085', /control characters/],
  ['https://example.com/\u00a0', /spaces/],
];

describe('checkWebhookUrl', () => {
  it.each(CASES)('%j → %s', (url, problem) => {
    const verdict = checkWebhookUrl(url);
    if (problem === undefined) expect(verdict).toBeUndefined();
    else expect(verdict).toMatch(problem);
  });
});

describe('each caller keeps its error type', () => {
  it.each(CASES)('%j', (url, problem) => {
    const cli = () => requireWebhookUrl(url, '--url');
    const create = () => validateCreate({ url, events: ['*'] });
    const patch = () => validatePatch({ url });
    if (problem === undefined) {
      expect(cli()).toBe(url);
      expect(create().url).toBe(url);
      expect(patch().url).toBe(url);
      return;
    }
    expect(cli).toThrow(UsageError);
    expect(cli).toThrow(problem);
    for (const call of [create, patch]) {
      let error: unknown;
      try {
        call();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({ status: 400, code: 'validation_failed' });
      expect((error as Error).message).toMatch(/^url /);
      expect((error as Error).message).toMatch(problem);
    }
  });
});

describe('dispatcher: description', () => {
  it.each([
    ['one line é 🎵', true],
    ['two\nlines', false],
    ['tab\there', false],
    ['clear \u001b[2J screen', false],
    ['c1 \u009b control', false],
  ])('%j accepted: %s', (description, ok) => {
    if (ok) {
      expect(validateCreate({ url: 'https://example.com/', events: ['*'], description }).description).toBe(description);
      expect(validatePatch({ description }).description).toBe(description);
    } else {
      expect(() => validateCreate({ url: 'https://example.com/', events: ['*'], description })).toThrow(
        /description must not contain control characters/,
      );
      expect(() => validatePatch({ description })).toThrow(/description must not contain control characters/);
    }
  });
});
