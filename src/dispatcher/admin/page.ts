// The monitoring page of /admin/webhooks (issue 6): one HTML document with its CSS and script
// inline, so the dispatcher serves it with no build step and no file lookups (the CLI is bundled).
// It polls /admin/api/overview every 2 s and rewrites table bodies in place, so the filter, the
// opened deliveries and the scroll position survive each refresh. Every value a user typed is
// put in the page with textContent, never as markup; the Content-Security-Policy lets only this
// exact script run, so even markup that slipped through could not execute.
import { createHash } from 'node:crypto';

const STYLE = `
:root { color-scheme: light dark; --fg: #1d2330; --muted: #5d6677; --bg: #f6f7fb; --card: #fff; --line: #dde1ea;
  --ok: #137a3f; --bad: #b42318; --warn: #a15c00; --accent: #3b4cca; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e9f0; --muted: #a0a8b8; --bg: #12151c; --card: #1b2029; --line: #2c3340;
  --ok: #4cc38a; --bad: #ff7b72; --warn: #e3b341; --accent: #8c9cff; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; gap: .75rem 1.5rem; align-items: center; justify-content: space-between;
  padding: 1rem 1.5rem; background: var(--card); border-bottom: 1px solid var(--line); }
h1 { font-size: 1.15rem; margin: 0; }
h2 { font-size: 1rem; margin: 0 0 .5rem; }
main { padding: 1rem 1.5rem 3rem; max-width: 1400px; margin: 0 auto; display: grid; gap: 1.25rem; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem; min-width: 0; }
.controls { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; color: var(--muted); }
select { font: inherit; padding: .3rem .5rem; max-width: 22rem; }
.live::before { content: "●"; color: var(--ok); margin-right: .3rem; }
.live.stale::before { color: var(--bad); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: .75rem; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; }
.card .value { font-size: 1.35rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .label { color: var(--muted); font-size: .8rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: .8rem; white-space: nowrap; }
td.num, th.num { text-align: right; white-space: nowrap; }
.url { word-break: break-all; }
.desc { color: var(--muted); font-size: .85rem; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85rem; }
.status-succeeded, .state-active { color: var(--ok); }
.status-failed, .state-disabled { color: var(--bad); }
.status-pending { color: var(--warn); }
.status-cancelled { color: var(--muted); }
tr.delivery { cursor: pointer; }
tr.delivery:hover, tr.delivery:focus { background: color-mix(in srgb, var(--accent) 8%, transparent); outline: none; }
tr.attempts > td { background: color-mix(in srgb, var(--accent) 4%, transparent); }
pre { margin: .25rem 0 0; white-space: pre-wrap; word-break: break-all; max-height: 10rem; overflow: auto; }
.empty { color: var(--muted); text-align: center; padding: 1rem; }
.chaos { display: inline-block; margin-left: .4rem; padding: 0 .45rem; border-radius: 999px; font-size: .75rem; font-weight: 600;
  white-space: nowrap; color: var(--warn); background: color-mix(in srgb, var(--warn) 15%, transparent); border: 1px solid var(--warn); }
#chaos-mode { margin-left: 0; font-size: .8rem; }
[hidden] { display: none !important; }
@media (max-width: 700px) { header, main { padding-left: .75rem; padding-right: .75rem; } th, td { padding: .35rem .4rem; } }
`;

const SCRIPT = `
const params = new URLSearchParams(location.search);
const state = { webhook: params.get('webhook') || '', token: params.get('token') || '', open: new Set(), attempts: new Map() };
// The page's JSON needs the token of the page's URL (issue 16): sent as a header, kept out of the request URLs.
const getJson = (path) => fetch(path, { cache: 'no-store', headers: { authorization: 'Bearer ' + state.token } });
const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') node.className = value; else if (key === 'dataset') Object.assign(node.dataset, value); else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(child == null ? '' : String(child)));
  return node;
};
const pct = (v) => v == null ? '–' : (v * 100).toFixed(1) + ' %';
const ms = (v) => v == null ? '–' : Math.round(v) + ' ms';
const time = (iso) => iso ? new Date(iso).toLocaleTimeString() : '–';
const dateTime = (iso) => iso ? new Date(iso).toLocaleString() : '–';

// Chaos delivery (issue 18): what chaos did to an attempt, as a badge; nothing when it did nothing.
const badge = (mark) => mark ? el('span', { class: 'chaos', title: 'chaos delivery: ' + mark, dataset: { chaos: mark } }, 'chaos: ' + mark) : '';

function fill(tbody, rows, columns, emptyText) {
  tbody.replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { class: 'empty', colspan: String(columns) }, emptyText))]));
}

function renderCards(t) {
  const cards = [['deliveries', t.deliveries, 'Deliveries'], ['succeeded', t.succeeded, 'Succeeded'], ['failed', t.failed, 'Failed'],
    ['successRate', pct(t.successRate), 'Success rate'], ['failureRate', pct(t.failureRate), 'Failure rate'],
    ['avgResponseMs', ms(t.avgResponseMs), 'Avg response'], ['p95ResponseMs', ms(t.p95ResponseMs), 'p95 response']];
  $('cards').replaceChildren(...cards.map(([field, value, label]) =>
    el('div', { class: 'card' }, el('div', { class: 'value', dataset: { field } }, value), el('div', { class: 'label' }, label))));
}

function renderFilter(webhooks) {
  const select = $('filter');
  const options = [el('option', { value: '' }, 'All webhooks'), ...webhooks.map((w) => el('option', { value: w.id }, w.id + ' — ' + w.url))];
  if (select.options.length !== options.length || [...select.options].some((o, i) => o.value !== options[i].value)) {
    select.replaceChildren(...options);
  }
  select.value = state.webhook;
}

function renderWebhooks(webhooks) {
  fill($('webhooks'), webhooks.map((w) => el('tr', { dataset: { webhook: w.id } },
    el('td', {}, el('div', { class: 'mono' }, w.id), el('div', { class: 'url' }, w.url), w.description ? el('div', { class: 'desc' }, w.description) : ''),
    el('td', {}, w.owner),
    el('td', {}, w.events.join(', ')),
    el('td', { class: w.isActive ? 'state-active' : 'state-disabled', dataset: { field: 'state' } },
      w.isActive ? 'active' : 'disabled' + (w.disabledReason ? ' (' + w.disabledReason.replace(/_/g, ' ') + ')' : '')),
    el('td', { class: 'num', dataset: { field: 'deliveries' } }, w.stats.deliveries),
    el('td', { class: 'num', dataset: { field: 'successRate' } }, pct(w.stats.successRate)),
    el('td', { class: 'num', dataset: { field: 'failureRate' } }, pct(w.stats.failureRate)),
    el('td', { class: 'num', dataset: { field: 'avgResponseMs' } }, ms(w.stats.avgResponseMs)),
    el('td', { class: 'num', dataset: { field: 'p95ResponseMs' } }, ms(w.stats.p95ResponseMs)),
    el('td', {}, dateTime(w.stats.lastDeliveryAt)))), 10, 'No webhooks yet: create one with v2k-webhooks create.');
}

function attemptsRow(id) {
  const attempts = state.attempts.get(id);
  const body = !attempts ? 'Loading…' : el('table', {},
    el('thead', {}, el('tr', {}, ...['#', 'At', 'Status', 'Duration', 'Error', 'Response (start)'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ...attempts.map((a) => el('tr', {},
      el('td', {}, a.number, badge(a.chaos)), el('td', {}, time(a.at)), el('td', {}, a.statusCode ?? '–'), el('td', { class: 'num' }, ms(a.durationMs)),
      el('td', {}, a.error ?? ''), el('td', {}, a.responseBody ? el('pre', { class: 'mono' }, a.responseBody) : '')))));
  return el('tr', { class: 'attempts', dataset: { attemptsOf: id } }, el('td', { colspan: '7' }, body));
}

async function toggle(id) {
  if (state.open.has(id)) { state.open.delete(id); render(); return; }
  state.open.add(id);
  render();
  await loadAttempts(id);
  render();
}

async function loadAttempts(id) {
  const delivery = last && last.recentDeliveries.find((d) => d.id === id);
  if (!delivery) return;
  const res = await getJson('/admin/api/webhooks/' + encodeURIComponent(delivery.webhookId) + '/deliveries/' + encodeURIComponent(id));
  if (res.ok) state.attempts.set(id, (await res.json()).attempts);
}

function renderDeliveries(deliveries) {
  const rows = [];
  for (const d of deliveries) {
    const row = el('tr', { class: 'delivery', tabindex: '0', 'aria-expanded': String(state.open.has(d.id)), dataset: { delivery: d.id } },
      el('td', {}, time(d.createdAt)), el('td', {}, d.event, badge(d.chaos)), el('td', { class: 'mono' }, d.webhookId),
      el('td', { class: 'status-' + d.status, dataset: { field: 'status' } }, d.status),
      el('td', { class: 'num', dataset: { field: 'attempts' } }, d.attempts),
      el('td', { class: 'num', dataset: { field: 'lastStatusCode' } }, d.lastStatusCode ?? '–'),
      el('td', { class: 'num' }, ms(d.durationMs)));
    row.addEventListener('click', () => toggle(d.id));
    row.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); toggle(d.id); } });
    rows.push(row);
    if (state.open.has(d.id)) rows.push(attemptsRow(d.id));
  }
  fill($('deliveries'), rows, 7, 'No deliveries yet.');
}

function renderErrors(errors) {
  fill($('errors'), errors.map((e) => el('tr', {},
    el('td', {}, dateTime(e.at)), el('td', { class: 'mono' }, e.webhookId), el('td', {}, e.event), el('td', { class: 'num' }, e.attempt),
    el('td', { class: 'num' }, e.statusCode ?? '–'), el('td', { class: 'mono' }, e.error ?? '', badge(e.chaos)))), 6, 'No failed attempts.');
}

let last = null;
function render() {
  if (!last) return;
  renderCards(last.totals);
  renderFilter(last.webhooks);
  renderWebhooks(state.webhook ? last.webhooks.filter((w) => w.id === state.webhook) : last.webhooks);
  renderDeliveries(last.recentDeliveries);
  renderErrors(last.errors);
  $('chaos-mode').hidden = !last.chaos;
  $('chaos-mode').textContent = last.chaos ? 'chaos mode: ' + last.chaos : '';
  $('updated').textContent = 'updated ' + time(last.generatedAt);
  $('updated').dataset.generatedAt = last.generatedAt;
}

async function refresh() {
  try {
    const query = state.webhook ? '?webhook=' + encodeURIComponent(state.webhook) : '';
    const res = await getJson('/admin/api/overview' + query);
    if (res.status === 401) {
      $('live').classList.add('stale');
      $('updated').textContent = 'this page needs its token: open the whole URL the dispatcher printed (/admin/webhooks?token=…)';
      return;
    }
    if (!res.ok) throw new Error('HTTP ' + res.status);
    last = await res.json();
    await Promise.all([...state.open].filter((id) => last.recentDeliveries.some((d) => d.id === id && d.status === 'pending') || !state.attempts.has(id)).map(loadAttempts));
    render();
    $('live').classList.remove('stale');
  } catch (error) {
    $('live').classList.add('stale');
    $('updated').textContent = 'dispatcher unreachable, retrying';
  }
}

$('filter').addEventListener('change', (e) => {
  state.webhook = e.target.value;
  const url = new URL(location.href);
  if (state.webhook) url.searchParams.set('webhook', state.webhook); else url.searchParams.delete('webhook');
  history.replaceState(null, '', url);
  refresh();
});

refresh();
setInterval(() => { if (!document.hidden) refresh(); }, 2000);
`;

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

export const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src ${hash(SCRIPT)}`,
  `style-src ${hash(STYLE)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>V2K webhooks — dispatcher monitor</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>V2K webhooks · dispatcher monitor</h1>
  <div class="controls">
    <label>Webhook <select id="filter" aria-label="Filter by webhook"><option value="">All webhooks</option></select></label>
    <span id="chaos-mode" class="chaos" title="the dispatcher runs with --chaos: some deliveries are duplicated, reordered or late on purpose" hidden></span>
    <span id="live" class="live"><span id="updated">loading…</span></span>
  </div>
</header>
<main>
  <section aria-labelledby="h-summary"><h2 id="h-summary">Summary</h2><div id="cards" class="cards"></div></section>
  <section aria-labelledby="h-webhooks"><h2 id="h-webhooks">Webhooks</h2><div class="scroll"><table>
    <thead><tr><th scope="col">Webhook</th><th scope="col">Owner</th><th scope="col">Events</th><th scope="col">State</th>
      <th scope="col" class="num">Deliveries</th><th scope="col" class="num">Success</th><th scope="col" class="num">Failure</th>
      <th scope="col" class="num">Avg</th><th scope="col" class="num">p95</th><th scope="col">Last delivery</th></tr></thead>
    <tbody id="webhooks"></tbody></table></div></section>
  <section aria-labelledby="h-deliveries"><h2 id="h-deliveries">Recent deliveries <span class="desc">(latest 50; open one to see its attempts)</span></h2>
    <div class="scroll"><table>
    <thead><tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">Webhook</th><th scope="col">Status</th>
      <th scope="col" class="num">Attempts</th><th scope="col" class="num">Last code</th><th scope="col" class="num">Duration</th></tr></thead>
    <tbody id="deliveries"></tbody></table></div></section>
  <section aria-labelledby="h-errors"><h2 id="h-errors">Error log</h2><div class="scroll"><table>
    <thead><tr><th scope="col">Time</th><th scope="col">Webhook</th><th scope="col">Event</th><th scope="col" class="num">Attempt</th>
      <th scope="col" class="num">Status</th><th scope="col">Error</th></tr></thead>
    <tbody id="errors"></tbody></table></div></section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
