import { existsSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery, WebhookWithSecret, WebhookWithStats } from '../../src/core/api-types.js';
import { EVENT_CATALOG } from '../../src/core/events.js';
import { startDispatcher, type RunningDispatcher } from '../helpers/dispatcher.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';

// The monitoring page in a real Chromium (Debian's, never a downloaded one) against a real
// dispatcher process with real receivers: some deliveries succeed, some fail and are retried.

// The page.evaluate callbacks run in the browser; these are the few browser globals they touch
// (the project's type-check has no DOM library, so src/ cannot use one by mistake).
declare const window: { scrollY: number; innerWidth: number; scrollTo(x: number, y: number): void; __xss?: number };
declare const document: {
  querySelectorAll(selector: string): { length: number };
  documentElement: { scrollWidth: number };
};

const CHROMIUM = '/usr/bin/chromium';
const RESULTS = fileURLToPath(new URL('../../test-results/', import.meta.url));
const HOSTILE_DESCRIPTION = `<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">`;

let dispatcher: RunningDispatcher;
let good: Receiver;
let bad: Receiver;
let browser: Browser;
let page: Page;
let hooks: { good: WebhookWithSecret; bad: WebhookWithSecret };

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(dispatcher.url + path, {
    method,
    headers: { authorization: `Bearer ${dispatcher.apiKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const emit = (event: 'trade.completed' | 'alert.triggered') =>
  api<{ id: string; deliveries: number }>('POST', '/api/events', { event, data: EVENT_CATALOG[event].sample.data });

async function settled(webhookId: string): Promise<Delivery[]> {
  for (let i = 0; i < 200; i++) {
    const { data } = await api<{ data: Delivery[] }>('GET', `/api/webhooks/${webhookId}/deliveries`);
    if (data.length > 0 && data.every((d) => d.status !== 'pending')) return data;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`deliveries of ${webhookId} did not settle`);
}

const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(1)} %`);
const ms = (v: number | null) => (v === null ? '–' : `${Math.round(v)} ms`);

describe.skipIf(!existsSync(CHROMIUM))('monitoring page /admin/webhooks', () => {
  beforeAll(async () => {
    mkdirSync(RESULTS, { recursive: true });
    // 0.05: the 2/4/8 s retries take 0.1/0.2/0.4 s, so a failing delivery ends within a second,
    // and the 10 s timeout is 0.5 s, which a loaded machine's receiver still answers well within.
    [dispatcher, good, bad] = await Promise.all([
      startDispatcher({ timeScale: 0.05 }),
      startReceiver({ status: 200, body: 'ok' }),
      startReceiver({ status: 500, body: 'receiver is broken' }),
    ]);
    hooks = {
      good: await api<WebhookWithSecret>('POST', '/api/webhooks', {
        url: good.url,
        events: ['*'],
        description: HOSTILE_DESCRIPTION,
      }),
      bad: await api<WebhookWithSecret>('POST', '/api/webhooks', {
        url: bad.url,
        events: ['trade.completed'],
        description: 'always 500',
      }),
    };
    await emit('trade.completed');
    await emit('trade.completed');
    await emit('alert.triggered');
    await Promise.all([settled(hooks.good.id), settled(hooks.bad.id)]);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 700 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(dispatcher.adminUrl);
    await page.waitForSelector(`#webhooks tr[data-webhook="${hooks.bad.id}"]`);
    expect(errors).toEqual([]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([dispatcher?.stop(), good?.close(), bad?.close()]);
  });

  it('shows per webhook the same figures as the API', async () => {
    for (const hook of [hooks.good, hooks.bad]) {
      const { stats } = await api<WebhookWithStats>('GET', `/api/webhooks/${hook.id}`);
      const row = page.locator(`#webhooks tr[data-webhook="${hook.id}"]`);
      const cell = (field: string) => row.locator(`[data-field="${field}"]`).textContent();
      expect(await cell('deliveries')).toBe(String(stats.deliveries));
      expect(await cell('successRate')).toBe(pct(stats.successRate));
      expect(await cell('failureRate')).toBe(pct(stats.successRate === null ? null : 1 - stats.successRate));
      expect(await cell('avgResponseMs')).toBe(ms(stats.avgResponseMs));
      expect(await cell('p95ResponseMs')).toBe(ms(stats.p95ResponseMs));
      expect(await row.textContent()).toContain(hook.url);
    }
    // The failing webhook: 2 deliveries, 4 attempts each, all failed.
    expect(
      await page.locator(`#webhooks tr[data-webhook="${hooks.bad.id}"] [data-field="successRate"]`).textContent(),
    ).toBe('0.0 %');
    expect(bad.requests).toHaveLength(8);
  });

  it('says nothing of chaos delivery when it is off', async () => {
    expect(await page.locator('#chaos-mode').isHidden()).toBe(true);
    expect(await page.locator('.chaos:not(#chaos-mode)').count()).toBe(0);
  });

  it('keeps what a user typed as inert text', async () => {
    const description = page.locator(`#webhooks tr[data-webhook="${hooks.good.id}"] .desc`);
    expect(await description.textContent()).toBe(HOSTILE_DESCRIPTION);
    expect(await page.evaluate(() => window.__xss)).toBeUndefined();
    expect(await page.locator('#webhooks img, #webhooks script').count()).toBe(0);
  });

  it('never shows a secret', async () => {
    const html = await page.content();
    expect(html).not.toContain(hooks.good.secret);
    expect(html).not.toContain(hooks.bad.secret);
    expect(html).not.toContain('whsec_');
  });

  it('lists recent deliveries and the error log, and opens a delivery to its attempts', async () => {
    const failedDelivery = (await settled(hooks.bad.id))[0] as Delivery;
    const row = page.locator(`#deliveries tr[data-delivery="${failedDelivery.id}"]`);
    expect(await row.locator('[data-field="status"]').textContent()).toBe('failed');
    expect(await row.locator('[data-field="attempts"]').textContent()).toBe('4');
    expect(await row.locator('[data-field="lastStatusCode"]').textContent()).toBe('500');

    await row.click();
    const attempts = page.locator(`tr[data-attempts-of="${failedDelivery.id}"] tbody tr`);
    await expect.poll(() => attempts.count()).toBe(4);
    expect(await attempts.first().textContent()).toContain('receiver is broken');

    expect(await page.locator('#errors tr').count()).toBe(8);
    expect(await page.locator('#errors tr').first().textContent()).toContain('500');
  });

  it('updates live without a reload, keeping the filter and the scroll position', async () => {
    await page.selectOption('#filter', hooks.good.id);
    await expect.poll(() => page.locator('#deliveries tr.delivery').count()).toBe(3);
    const loaded = await page.evaluate(() => performance.timeOrigin);
    await page.evaluate(() => window.scrollTo(0, 250));
    const scrollBefore = await page.evaluate(() => window.scrollY);
    expect(scrollBefore).toBeGreaterThan(0);

    const { id: eventId } = await emit('alert.triggered');
    await page.waitForFunction(() => document.querySelectorAll('#deliveries tr.delivery').length === 4, undefined, {
      timeout: 15_000,
    });
    const newest = (await settled(hooks.good.id)).find((d) => d.eventId === eventId) as Delivery;
    await page.waitForSelector(`#deliveries tr[data-delivery="${newest.id}"] [data-field="status"]:text("succeeded")`, {
      timeout: 15_000,
    });

    expect(await page.evaluate(() => performance.timeOrigin)).toBe(loaded); // same document: no reload
    expect(await page.inputValue('#filter')).toBe(hooks.good.id);
    expect(await page.locator(`#webhooks tr[data-webhook="${hooks.bad.id}"]`).count()).toBe(0);
    expect(await page.evaluate(() => window.scrollY)).toBe(scrollBefore);
    await page.screenshot({ path: `${RESULTS}dashboard-1280.png`, fullPage: true });
  });

  it('stays readable at a phone width: no page-wide horizontal scroll', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    await phone.goto(dispatcher.adminUrl);
    await phone.waitForSelector(`#webhooks tr[data-webhook="${hooks.bad.id}"]`);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: `${RESULTS}dashboard-390.png`, fullPage: true });
    await phone.close();
  });

  it("refuses the page's data without its token, and the page says what to open", async () => {
    const token = new URL(dispatcher.adminUrl).searchParams.get('token') as string;
    const newest = (await settled(hooks.bad.id))[0] as Delivery;
    const detail = `/admin/api/webhooks/${hooks.bad.id}/deliveries/${newest.id}`;
    for (const path of ['/admin/api/overview', detail]) {
      const none = await fetch(dispatcher.url + path);
      expect(none.status).toBe(401);
      const refused = await none.text();
      expect(refused).not.toContain(hooks.bad.url);
      expect(refused).toMatch(/token/);
      expect((await fetch(`${dispatcher.url}${path}?token=${token.slice(0, -1)}x`)).status).toBe(401);
      expect((await fetch(`${dispatcher.url}${path}?token=${token}`)).status).toBe(200);
      const bearer = await fetch(dispatcher.url + path, { headers: { authorization: `Bearer ${token}` } });
      expect(bearer.status).toBe(200);
    }
    // An API key is not the page's token.
    const withKey = await fetch(`${dispatcher.url}/admin/api/overview`, {
      headers: { authorization: `Bearer ${dispatcher.apiKey}` },
    });
    expect(withKey.status).toBe(401);

    const bare = await browser.newPage();
    await bare.goto(dispatcher.adminUrl.replace(/\?token=.*$/, ''));
    await bare.waitForSelector('#updated:has-text("token")');
    expect(await bare.locator('#webhooks tr[data-webhook]').count()).toBe(0);
    expect(await bare.content()).not.toContain(hooks.bad.url);
    await bare.close();
  });

  it('answers bad filters with a 4xx and serves the page with a strict CSP', async () => {
    const token = new URL(dispatcher.adminUrl).searchParams.get('token') as string;
    const bogus = await fetch(
      `${dispatcher.url}/admin/api/overview?token=${token}&webhook=${encodeURIComponent('"><script>')}`,
    );
    expect(bogus.status).toBe(400);
    const unknown = await fetch(`${dispatcher.url}/admin/api/overview?token=${token}&webhook=wh_doesnotexist`);
    expect(unknown.status).toBe(404);
    const html = await fetch(dispatcher.adminUrl);
    expect(html.headers.get('content-security-policy')).toMatch(/script-src 'sha256-/);

    // DNS rebinding: a page of another site whose name now points at 127.0.0.1 sends its own Host.
    const withHost = (host: string, path: string) =>
      new Promise<number>((resolve, reject) => {
        const url = new URL(path, dispatcher.url);
        request({ host: '127.0.0.1', port: url.port, path: url.pathname + url.search, headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
    expect(await withHost('evil.example:80', '/admin/api/overview')).toBe(403);
    expect(await withHost('evil.example', '/admin/webhooks')).toBe(403);
    expect(await withHost(`localhost:${new URL(dispatcher.url).port}`, `/admin/api/overview?token=${token}`)).toBe(200);
  });
});

// Chaos delivery (issue 18): the page says chaos mode is on, and badges what chaos did.
describe.skipIf(!existsSync(CHROMIUM))('monitoring page with --chaos', () => {
  let chaotic: RunningDispatcher;
  let receiver: Receiver;
  let chaosBrowser: Browser;

  afterAll(async () => {
    await chaosBrowser?.close();
    await Promise.all([chaotic?.stop(), receiver?.close()]);
  });

  it('shows chaos mode with its spec, a badge on each chaotic delivery, and the duplicate among its attempts', async () => {
    [chaotic, receiver] = await Promise.all([
      startDispatcher({
        timeScale: 0.05,
        userKeys: ['chaos_page_key:user_chaos'],
        extraArgs: ['--chaos', 'duplicate=1,delay=200ms-1s,seed=3'],
      }),
      startReceiver({ status: 200, body: 'ok' }),
    ]);
    const call = async <T>(path: string, body: unknown): Promise<T> => {
      const res = await fetch(chaotic.url + path, {
        method: 'POST',
        headers: { authorization: 'Bearer chaos_page_key', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`POST ${path}: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };
    const hook = await call<WebhookWithSecret>('/api/webhooks', { url: receiver.url, events: ['trade.completed'] });
    await call('/api/events', { event: 'trade.completed', data: EVENT_CATALOG['trade.completed'].sample.data });
    await receiver.waitForCount(2); // the attempt and its duplicate
    const deliveryId = String(receiver.requests[0]?.headers['x-v2k-delivery']);

    chaosBrowser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const chaosPage = await chaosBrowser.newPage({ viewport: { width: 1280, height: 700 } });
    const errors: string[] = [];
    chaosPage.on('pageerror', (error) => errors.push(error.message));
    await chaosPage.goto(chaotic.adminUrl);
    await chaosPage.waitForSelector('#chaos-mode:not([hidden])');
    expect(await chaosPage.locator('#chaos-mode').textContent()).toBe('chaos mode: duplicate=1,delay=200ms-1s,seed=3');

    const row = chaosPage.locator(`#deliveries tr[data-delivery="${deliveryId}"]`);
    await expect.poll(() => row.locator('.chaos').textContent(), { timeout: 15_000 }).toMatch(/duplicate/);
    expect(await row.locator('.chaos').textContent()).toMatch(/^chaos: delayed \d+ms; duplicate$/);
    await row.click();
    const attempts = chaosPage.locator(`tr[data-attempts-of="${deliveryId}"] tbody tr`);
    await expect.poll(() => attempts.count()).toBe(2);
    expect(await attempts.nth(0).locator('.chaos').textContent()).toMatch(/^chaos: delayed \d+ms$/);
    expect(await attempts.nth(1).locator('.chaos').textContent()).toBe('chaos: duplicate');
    expect(await chaosPage.locator('#webhooks tr[data-webhook] [data-field="state"]').textContent()).toBe('active');
    expect(errors).toEqual([]);
    expect(await chaosPage.content()).not.toContain(hook.secret);
    await chaosPage.screenshot({ path: `${RESULTS}dashboard-chaos.png`, fullPage: true });
  }, 60_000);
});
