/** Small statistics for the bench: medians of repeated runs and percentiles of latencies. */

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export interface Row {
  /** What is measured. */
  measure: string;
  /** Our figure and its unit. */
  ours: number;
  /** The baseline's figure, same unit, measured in the same run. */
  baseline: number;
  baselineName: string;
  unit: string;
  /** ours / baseline. */
  ratio: number;
  /** e.g. "≤ 1.3×", "≥ 0.7×", or "" when there is no target. */
  target: string;
  pass: boolean | null;
  note?: string;
}

export function row(
  input: Omit<Row, 'ratio' | 'pass'> & { check?: (ratio: number, row: Omit<Row, 'pass'>) => boolean },
): Row {
  // A baseline of 0 (autocannon's whole-millisecond latencies) has no meaningful ratio.
  const ratio = input.baseline === 0 ? Number.NaN : input.ours / input.baseline;
  const { check, ...rest } = input;
  const partial = { ...rest, ratio };
  return { ...partial, pass: check ? check(ratio, partial) : null };
}

export function formatTable(rows: readonly Row[]): string {
  const header = ['measure', 'ours', 'baseline', 'ratio', 'target', 'met'];
  const cells = rows.map((r) => [
    r.measure,
    `${fmt(r.ours)} ${r.unit}`,
    `${fmt(r.baseline)} ${r.unit} (${r.baselineName})`,
    Number.isNaN(r.ratio) ? '—' : `${r.ratio.toFixed(2)}×`,
    r.target || '—',
    r.pass === null ? '—' : r.pass ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}

function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}
