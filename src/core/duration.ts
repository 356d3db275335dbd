/**
 * The one way durations read (issue 17): `250ms`, `1.5s`, `30s`, `2m`, `1h` — the forms the CLI's
 * duration flags accept, so what is printed can be passed back (`--timeout 30s`).
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return `${ms}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) {
    const tenths = Math.round(ms / 100) / 10;
    return tenths < 60 ? `${tenths}s` : '1m';
  }
  const seconds = Math.round(ms / 1000);
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
