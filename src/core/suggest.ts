/**
 * The candidates closest to a mistyped `input` ("amout" → ["amount"]), for did-you-mean hints
 * (issue 17): Damerau–Levenshtein distance of at most 3, and at least 40 % alike, the rule
 * commander uses for unknown commands. Several at the same distance are all returned, sorted.
 */
export function suggest(input: string, candidates: Iterable<string>): string[] {
  let best: string[] = [];
  let bestDistance = 4;
  for (const candidate of new Set(candidates)) {
    if (candidate.length <= 1 || candidate === input) continue;
    const distance = editDistance(input.toLowerCase(), candidate.toLowerCase());
    const length = Math.max(input.length, candidate.length);
    if ((length - distance) / length <= 0.4) continue;
    if (distance < bestDistance) {
      bestDistance = distance;
      best = [candidate];
    } else if (distance === bestDistance) best.push(candidate);
  }
  return best.sort();
}

/** " Did you mean x?" / " Did you mean x or y?" — empty when nothing is close. */
export function didYouMean(input: string, candidates: Iterable<string>): string {
  const close = suggest(input, candidates);
  if (close.length === 0) return '';
  const quoted = close.map((c) => JSON.stringify(c));
  return ` Did you mean ${quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`}?`;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      const above = d[i - 1] as number[];
      row[j] = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}
