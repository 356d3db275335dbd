// `npm run bench` (`-- --quick` for a short pass): every figure against a baseline measured in
// the same run, printed as ratios. Machines here are shared and noisy: only ratios and medians count.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { measureAcceptLatency } from './accept-latency.js';
import { measureCliStart } from './cli-start.js';
import { measureDispatcherMemory } from './dispatcher-memory.js';
import { measureDispatcherThroughput } from './dispatcher-throughput.js';
import { measureRelay } from './relay.js';
import { formatTable, type Row } from './stats.js';
import { measureVerify } from './verify.js';

const quick = process.argv.includes('--quick');
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');

const measurements: Array<[string, () => Promise<Row[]>]> = [
  ['cli', () => measureCliStart({ runs: quick ? 10 : 21 })],
  ['verify', () => measureVerify({ ms: quick ? 150 : 500, rounds: quick ? 3 : 5 })],
  ['relay', () => measureRelay({ seconds: quick ? 2 : 5, rounds: quick ? 1 : 3 })],
  ['throughput', () => measureDispatcherThroughput({ events: quick ? 5_000 : 20_000 })],
  ['memory', () => measureDispatcherMemory({ pending: quick ? 20_000 : 100_000 })],
  ['latency', () => measureAcceptLatency({ seconds: quick ? 3 : 10 })],
];

const rows: Row[] = [];
for (const [name, measure] of measurements) {
  if (only && !only.includes(name)) continue;
  process.stderr.write(`bench: ${name}…\n`);
  rows.push(...(await measure()));
}

const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}${quick ? ', --quick' : ''}`;
process.stdout.write(`\n${formatTable(rows)}\n\nMachine: ${machine}\n`);
for (const r of rows) if (r.note) process.stdout.write(`- ${r.measure}: ${r.note}\n`);

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/latest.json', import.meta.url),
  `${JSON.stringify({ machine, quick, rows }, null, 2)}\n`,
);
const missed = rows.filter((r) => r.pass === false);
if (missed.length > 0) process.stdout.write(`\nTargets missed: ${missed.map((r) => r.measure).join('; ')}\n`);
