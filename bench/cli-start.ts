import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median, row, type Row } from './stats.js';

const BIN = fileURLToPath(new URL('../bin/v2k-webhooks.js', import.meta.url));

/** 1. CLI start: --version, --help and `list --help` against `node -e 0`, runs interleaved so drift hits all alike. */
export async function measureCliStart({ runs }: { runs: number }): Promise<Row[]> {
  const commands: Record<string, string[]> = {
    baseline: ['-e', '0'],
    '--version': [BIN, '--version'],
    '--help': [BIN, '--help'],
    'list --help': [BIN, 'list', '--help'],
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  const time = (args: string[]) => {
    const start = process.hrtime.bigint();
    execFileSync(process.execPath, args, { stdio: 'ignore' });
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  for (const args of Object.values(commands)) time(args); // warm the file cache
  for (let i = 0; i < runs; i++) {
    for (const [name, args] of Object.entries(commands)) times[name]?.push(time(args));
  }
  const base = median(times.baseline ?? []);
  return ['--version', '--help', 'list --help'].map((name) =>
    row({
      measure: `CLI start: v2k-webhooks ${name} (median of ${runs})`,
      ours: median(times[name] ?? []),
      baseline: base,
      baselineName: 'node -e 0',
      unit: 'ms',
      target: '≤ 1.3×',
      check: (ratio) => ratio <= 1.3,
    }),
  );
}
