import type { CheckPlan, CheckReport, CheckResult, CheckStatus } from '../checker/index.js';
import { printable } from '../core/printable.js';
import type { Output } from './output.js';

/**
 * The report card of `check` for people: one aligned line per check, as each finishes; under a
 * warning or a failure what it means, how to fix it and where the README says more.
 *
 *   PASS  accepts trade.completed        200 in 3ms
 *   FAIL  verifies the raw body          401 in 2ms
 *         It refused a correctly signed delivery …
 *         Fix: Verify the exact bytes you received, then parse them …
 *         See https://www.npmjs.com/package/v2k-webhooks#verifying-deliveries-in-your-receiver
 */
export interface Card {
  plan(plan: CheckPlan): void;
  result(result: CheckResult): void;
  summary(report: CheckReport): void;
}

const INDENT = '  ';
const BADGE_WIDTH = 4;
/** Where the details start: under the title. */
const DETAIL = ' '.repeat(INDENT.length + BADGE_WIDTH + 2);

export function createCard(output: Output, columns: number | undefined): Card {
  const { style } = output;
  // Off a terminal, 80 columns (commander's rule for help); on one, its width within reason,
  // one column spare so a full line never wraps on its own.
  const width = columns === undefined ? 80 : Math.min(Math.max(columns - 1, 60), 90);
  let titleWidth = 0;
  const badge: Record<CheckStatus, string> = {
    pass: style.green('PASS'),
    warn: style.yellow('WARN'),
    fail: style.red.bold('FAIL'),
  };

  return {
    plan(plan) {
      titleWidth = Math.max(...plan.checks.map((c) => c.title.length));
    },
    result(r) {
      const lines = [
        `${INDENT}${badge[r.status]}  ${r.title.padEnd(titleWidth)}  ${style.dim(printable(r.outcome))}`.trimEnd(),
      ];
      const detailed = r.status !== 'pass';
      if (detailed) lines.push(...wrap(printable(r.explain), width - DETAIL.length).map((l) => DETAIL + l));
      if (r.fix !== undefined) {
        lines.push(...wrap(`${detailed ? 'Fix: ' : ''}${r.fix}`, width - DETAIL.length).map((l) => DETAIL + l));
      }
      for (const code of r.snippet ?? []) lines.push(`${DETAIL}${style.cyan(code)}`);
      // A warning that only points at another check ("proves nothing") needs no link of its own.
      if (r.fix !== undefined) lines.push(`${DETAIL}${style.dim('See')} ${r.link}`);
      output.line(lines.join('\n'));
    },
    summary(report) {
      const { pass, warn, fail } = report.counts;
      const parts = [
        style.green(`${pass} passed`),
        (warn > 0 ? style.yellow : style.dim)(`${warn} warning${warn === 1 ? '' : 's'}`),
        (fail > 0 ? style.red.bold : style.dim)(`${fail} failed`),
      ];
      output.line(`\n${INDENT}${parts.join(', ')}`);
    },
  };
}

/** Greedy word wrap; a word longer than the width (a URL) stays whole on its own line. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}
