import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/core/events.js';
import { cli, tempHome } from '../helpers/cli.js';
import { runInPty } from '../helpers/pty.js';

// issue 17.7: help that fits an 80-column terminal, help for nested commands, unknown commands,
// and shell completion — through the built bin, as a person or a shell runs it.
describe('help at an 80-column terminal', () => {
  it.each([[['--help']], [['listen', '--help']], [['help', 'dispatcher']]])(
    '%j: no line past column 80',
    async (args) => {
      const result = await runInPty(args, { env: { HOME: tempHome() }, steps: [], columns: 80 });
      expect(result.exitCode, result.output).toBe(0);
      const lines = result.output.split('\n');
      expect(lines.length).toBeGreaterThan(10);
      expect(lines.filter((line) => [...line].length > 80)).toEqual([]);
      expect(result.output).toMatch(/\nExamples:\n {2}\$ v2k-webhooks /);
    },
  );
});

describe('help for a command', () => {
  it('`help config set` is the help of config set', async () => {
    const result = await cli(['help', 'config', 'set']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^Usage: v2k-webhooks config set \[options\] <key> <value>/);
    expect(result.stdout).toMatch(/Global Options:[\s\S]*--profile <name>/);
  });

  it.each([
    [['nosuch', '--help'], /^Error: Unknown command "nosuch"\.\n/],
    [['lsit', '--help'], /^Error: Unknown command "lsit"\. Did you mean "list"\?\n/],
    [['help', 'nosuch'], /^Error: Unknown command "nosuch"\.\n/],
    [['config', 'gte', '--help'], /^Error: Unknown command "gte" for `config`\. Did you mean "get"\?/],
  ])('%j: unknown command, exit 2', async (args, message) => {
    const result = await cli(args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });
});

/** Runs bash completion for `line` (the cursor at its end) and returns what it offers. */
async function complete(script: string, line: string): Promise<string[]> {
  const file = join(tempHome(), 'completion.bash');
  writeFileSync(file, script);
  const words = line.split(' ');
  const program = [
    `source ${JSON.stringify(file)}`,
    `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    '_v2k_webhooks',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const result = await execa('bash', ['-c', program], { cwd: tempHome() });
  return String(result.stdout).split('\n').filter(Boolean);
}

describe('completion', () => {
  it('bash: the script parses and completes commands, subcommands, options and event types', async () => {
    const { stdout, exitCode } = await cli(['completion', 'bash']);
    expect(exitCode).toBe(0);
    const script = String(stdout);
    await execa('bash', ['-n'], { input: script }); // throws on a syntax error
    expect(await complete(script, 'v2k-webhooks con')).toEqual(['config']);
    expect(await complete(script, 'v2k-webhooks config u')).toEqual(['use']);
    expect(await complete(script, 'v2k-webhooks listen --wr')).toEqual(['--write-env']);
    expect(await complete(script, 'v2k-webhooks --api-url http://x lis')).toEqual(['list', 'listen']);
    expect(await complete(script, 'v2k-webhooks trigger trade.')).toEqual(['trade.completed', 'trade.failed']);
    expect(await complete(script, 'v2k-webhooks create --events user.kyc.')).toEqual([
      'user.kyc.approved',
      'user.kyc.rejected',
    ]);
    expect(await complete(script, 'v2k-webhooks deliveries wh_1 --status f')).toEqual(['failed']);
    expect(await complete(script, 'v2k-webhooks listen --port ')).toEqual([]);
  });

  it('zsh: a #compdef function over the same table (zsh -n when zsh is installed)', async () => {
    const script = String((await cli(['completion', 'zsh'])).stdout);
    expect(script.split('\n')[0]).toBe('#compdef v2k-webhooks');
    expect(script).toContain('compdef _v2k_webhooks v2k-webhooks');
    expect(script.match(/\bcase\b/g)?.length).toBe(script.match(/\besac\b/g)?.length);
    for (const command of ['listen', 'config use', 'rotate-secret', ...EVENT_TYPES]) expect(script).toContain(command);
    const zsh = await execa('zsh', ['-n'], { input: script, reject: false });
    if (zsh.code !== 'ENOENT') expect(zsh.exitCode, String(zsh.stderr)).toBe(0);
  });

  it('fish: one `complete -c v2k-webhooks` per line (fish --no-execute when fish is installed)', async () => {
    const script = String((await cli(['completion', 'fish'])).stdout);
    const lines = script.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(lines.every((l) => l.startsWith('complete -c v2k-webhooks '))).toBe(true);
    expect(script).toContain(
      "-n '__fish_use_subcommand' -a listen -d 'verify deliveries and forward them to your app'",
    );
    expect(script).toMatch(/-n '__fish_seen_subcommand_from listen' -l write-env -r -F/);
    expect(script).toContain("-d 'send the test event and show the answer'");
    // Quotes inside descriptions are escaped: every line has an even number of unescaped quotes.
    for (const line of lines) expect(line.replace(/\\'/g, '').split("'").length % 2, line).toBe(1);
    const fish = await execa('fish', ['--no-execute'], { input: script, reject: false });
    if (fish.code !== 'ENOENT') expect(fish.exitCode, String(fish.stderr)).toBe(0);
  });

  it('an unknown shell is a usage error', async () => {
    const result = await cli(['completion', 'powershell']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/bash, zsh, fish/);
  });
});
