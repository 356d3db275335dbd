import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { helpRequest, renderHelp, snapshotHelp, unknownCommand, type HelpEntry } from '../../src/cli/help.js';
import { buildProgram } from '../../src/cli/program.js';

const noAction = () => async () => undefined;

/** What commander itself prints for `[...path] --help` at a terminal `width` columns wide. */
async function commanderHelp(path: string, width: number | undefined): Promise<string> {
  const program = buildProgram(noAction);
  let printed = '';
  const configure = (command: Command) => {
    command.configureOutput({
      writeOut: (text) => (printed += text),
      getOutHelpWidth: () => width as number /* undefined off a terminal, as commander gives it */,
      getOutHasColors: () => false,
    });
    command.commands.forEach(configure);
  };
  configure(program);
  const args = path === '' ? ['--help'] : [...path.split(' '), '--help'];
  await expect(program.parseAsync(['node', 'v2k-webhooks', ...args])).rejects.toMatchObject({
    code: 'commander.helpDisplayed',
  });
  return printed;
}

describe('help from the snapshot', () => {
  const snapshot = snapshotHelp(buildProgram(noAction));
  const paths = Object.keys(snapshot);

  it('has every command, nested ones included', () => {
    expect(paths).toEqual(
      expect.arrayContaining(['', 'list', 'listen', 'dispatcher', 'config', 'config get', 'config set', 'demo']),
    );
    expect(paths.length).toBeGreaterThan(20);
  });

  // 80 is what a pipe gets; narrow widths stop wrapping; wide ones wrap long descriptions.
  const widths = [undefined, 20, 39, 40, 41, 60, 79, 80, 81, 100, 117, 120, 160, 250];

  it.each(paths.map((path) => [path === '' ? '(program)' : path, path] as const))(
    '%s: the same text as commander at every width',
    async (_, path) => {
      const entry = snapshot[path];
      if (entry === undefined) throw new Error(`no entry for ${path}`);
      for (const width of widths) {
        expect({ width, text: renderHelp(entry, width) }).toEqual({ width, text: await commanderHelp(path, width) });
      }
    },
  );

  it('wraps a long description the way commander does, at a width where it must wrap', async () => {
    const entry = snapshot.dispatcher;
    if (entry === undefined) throw new Error('no dispatcher entry');
    const wide = renderHelp(entry, 200);
    const narrow = renderHelp(entry, 100);
    expect(narrow).not.toEqual(wide); // the case above would pass vacuously if nothing ever wrapped
    expect(narrow).toEqual(await commanderHelp('dispatcher', 100));
  });
});

describe('help for people (issue 17)', () => {
  const snapshot = snapshotHelp(buildProgram(noAction));
  const commands = Object.keys(snapshot);

  it('fits 80 columns: no line of any command longer', () => {
    for (const path of commands) {
      const long = renderHelp(snapshot[path] as HelpEntry, 80)
        .split('\n')
        .filter((line) => line.length > 80);
      expect({ path, long }).toEqual({ path, long: [] });
    }
  });

  it('gives every command 1 to 3 examples', () => {
    for (const path of commands) {
      const text = renderHelp(snapshot[path] as HelpEntry, 80);
      const block = /\nExamples:\n((?: {2}\$ .*\n?)+)/.exec(text)?.[1] ?? '';
      const count = block.split('\n').filter(Boolean).length;
      expect(count, path).toBeGreaterThanOrEqual(1);
      expect(count, path).toBeLessThanOrEqual(3);
    }
  });

  it('shows the global options in every command’s help', () => {
    for (const path of commands.filter((p) => p !== '')) {
      const text = renderHelp(snapshot[path] as HelpEntry, 80);
      const global = text.slice(text.indexOf('Global Options:'));
      expect(text, path).toContain('Global Options:');
      for (const flag of ['--json', '--api-url <url>', '--api-key <key>', '--profile <name>'])
        expect(global, `${path}: ${flag}`).toContain(flag);
    }
  });
});

describe('unknownCommand', () => {
  const known = ['', 'help', 'list', 'listen', 'login', 'config', 'config get', 'config set'];
  it.each([
    ['nosuch', /^Unknown command "nosuch"\.$/],
    ['lsit', /^Unknown command "lsit"\. Did you mean "list"\?$/],
    ['config gte', /^Unknown command "gte" for `config`\. Did you mean "get"\?$/],
  ])('%s', (path, message) => {
    expect(unknownCommand(path, known)?.message).toMatch(message);
  });
  it.each([[''], ['list'], ['config get'], ['help']])('%j is a command', (path) => {
    expect(unknownCommand(path, known)).toBeUndefined();
  });
});

describe('helpRequest', () => {
  it.each([
    [['--help'], ''],
    [['-h'], ''],
    [['help'], ''],
    [['list', '--help'], 'list'],
    [['config', 'get', '-h'], 'config get'],
    [['help', 'rotate-secret'], 'rotate-secret'],
    [['help', 'config', 'set'], 'config set'], // issue 17: it showed config's help
    [['nosuch', '--help'], 'nosuch'], // main.ts answers it: unknown command
  ])('%j asks for the help of %j', (args, path) => {
    expect(helpRequest(args)).toBe(path);
  });

  // Anything more is commander's to answer: options before --help, arguments, nested `help`.
  it.each([
    [[]],
    [['list']],
    [['--json', '--help']],
    [['get', 'wh_1', '--help']],
    [['--help', 'list']],
    [['help', '--json']],
  ])('%j is left to commander', (args) => {
    expect(helpRequest(args)).toBeUndefined();
  });
});
