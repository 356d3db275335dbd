import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { helpRequest, renderHelp, snapshotHelp } from '../../src/cli/help.js';
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

describe('helpRequest', () => {
  it.each([
    [['--help'], ''],
    [['-h'], ''],
    [['help'], ''],
    [['list', '--help'], 'list'],
    [['config', 'get', '-h'], 'config get'],
    [['help', 'rotate-secret'], 'rotate-secret'],
  ])('%j asks for the help of %j', (args, path) => {
    expect(helpRequest(args)).toBe(path);
  });

  // Anything more is commander's to answer: options before --help, arguments, nested `help`.
  it.each([
    [[]],
    [['list']],
    [['--json', '--help']],
    [['get', 'wh_1', '--help']],
    [['help', 'config', 'get']],
    [['--help', 'list']],
    [['help', '--json']],
  ])('%j is left to commander', (args) => {
    expect(helpRequest(args)).toBeUndefined();
  });
});
