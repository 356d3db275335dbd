// Help without commander: at build time every command's help is taken apart into the strings
// commander would print (scripts/bundle-cli.mjs writes them to dist/cli-bundle/help.json); at run
// time `--help` lays them out for the terminal's width the way commander does, and commander and
// the command table are never loaded. The test in test/unit/help.test.ts holds the two outputs
// equal for every command at many widths.

import type { Command, Option } from 'commander';
import { didYouMean } from '../core/suggest.js';

/** One command's help, as strings: only the layout (width, wrapping) is left to do. */
export interface HelpEntry {
  usage: string;
  description: string;
  /** Width of the widest term: descriptions line up after it. */
  termWidth: number;
  sections: Array<{ title: string; items: Array<[term: string, description: string]> }>;
  /** Text added with `addHelpText('before' | 'beforeAll')` and `('after' | 'afterAll')`. */
  before: string;
  after: string;
}

/** Every command's help, keyed by its path of names: '' for the program, 'config get', … */
export type HelpSnapshot = Record<string, HelpEntry>;

const DEFAULT_WIDTH = 80;
/** Below this many columns for a description, commander does not wrap it. */
const MIN_WIDTH_TO_WRAP = 40;
const INDENT = '  ';
const SPACER = '  ';

/**
 * The command whose help `args` asks for and nothing else ('' for the program's), in the forms
 * `[command…] --help|-h` and `help [command]`; undefined for anything else (commander answers).
 */
export function helpRequest(args: readonly string[]): string | undefined {
  const isName = (arg: string) => /^[a-z][a-z-]*$/.test(arg);
  const last = args.at(-1);
  if ((last === '--help' || last === '-h') && args.slice(0, -1).every(isName)) return args.slice(0, -1).join(' ');
  if (args[0] === 'help' && args.slice(1).every(isName)) return args.slice(1).join(' ');
  return undefined;
}

/**
 * The "unknown command" answer to a help request for a path that is no command (`nosuch --help`,
 * `help config nosuch`): the first unknown word, with the closest commands at that level.
 * Undefined when `path` is a command.
 */
export function unknownCommand(path: string, known: readonly string[]): { message: string; hint: string } | undefined {
  if (path === '' || known.includes(path)) return undefined;
  const words = path.split(' ');
  let at = 0;
  while (at < words.length && known.includes(words.slice(0, at + 1).join(' '))) at++;
  const parent = words.slice(0, at).join(' ');
  const siblings = known
    .filter((k) => k !== '' && k.startsWith(parent === '' ? '' : `${parent} `))
    .map((k) => k.slice(parent === '' ? 0 : parent.length + 1))
    .filter((k) => !k.includes(' '));
  const word = words[at] ?? '';
  return {
    message: `Unknown command ${JSON.stringify(word)}${parent === '' ? '' : ` for \`${parent}\``}.${didYouMean(word, siblings)}`,
    hint: `Run \`v2k-webhooks ${parent === '' ? '' : `${parent} `}--help\` to see the commands.`,
  };
}

/** The help of `entry` for a terminal `width` columns wide (undefined: not a terminal, 80). */
export function renderHelp(entry: HelpEntry, width: number | undefined = DEFAULT_WIDTH): string {
  const lines = [`Usage: ${entry.usage}`, ''];
  if (entry.description.length > 0) lines.push(wrap(entry.description, width), '');
  for (const section of entry.sections) {
    if (section.items.length === 0) continue;
    lines.push(
      section.title,
      ...section.items.map(([term, description]) => item(term, description, entry.termWidth, width)),
      '',
    );
  }
  return `${entry.before}${lines.join('\n')}${entry.after}`;
}

function item(term: string, description: string, termWidth: number, width: number): string {
  if (!description) return INDENT + term;
  const room = width - termWidth - SPACER.length - INDENT.length;
  // A description that brings its own indented lines is printed as written.
  const text =
    room < MIN_WIDTH_TO_WRAP || /\n[^\S\r\n]/.test(description)
      ? description
      : wrap(description, room).replaceAll('\n', `\n${' '.repeat(termWidth + SPACER.length)}`);
  return `${INDENT}${term.padEnd(termWidth)}${SPACER}${text.replaceAll('\n', `\n${INDENT}`)}`;
}

/**
 * Greedy word wrap to `width` columns, keeping the text's own line breaks: a word joins the
 * line with the spaces before it when it fits, else starts the next line without them.
 */
function wrap(text: string, width: number): string {
  if (width < MIN_WIDTH_TO_WRAP) return text;
  const out: string[] = [];
  for (const line of text.split(/\r\n|\n/)) {
    const words = line.match(/\s*\S+/g);
    if (words === null) {
      out.push('');
      continue;
    }
    let current = words[0];
    for (const word of words.slice(1)) {
      if (current.length + word.length <= width) {
        current += word;
      } else {
        out.push(current);
        current = word.trimStart();
      }
    }
    out.push(current);
  }
  return out.join('\n');
}

/** Every command's path of names ('' for the program, 'config get', …), aliases included. */
export function commandPaths(program: Command): string[] {
  const paths: string[] = ['help']; // commander's own `help [command]`
  const visit = (command: Command, prefix: string[]) => {
    paths.push(prefix.join(' '));
    for (const sub of command.commands)
      for (const name of [sub.name(), ...sub.aliases()]) visit(sub, [...prefix, name]);
  };
  visit(program, []);
  return paths;
}

/** Takes every command of `program` apart into strings, with commander's own help helper. */
export function snapshotHelp(program: Command): HelpSnapshot {
  const snapshot: HelpSnapshot = {};
  const visit = (command: Command, names: string[][]) => {
    const entry = entryOf(command);
    for (const path of names) snapshot[path.join(' ')] = entry;
    for (const sub of command.commands) {
      const own = [sub.name(), ...sub.aliases()];
      visit(
        sub,
        names.flatMap((path) => own.map((name) => [...path, name])),
      );
    }
  };
  visit(program, [[]]);
  return snapshot;
}

function entryOf(command: Command): HelpEntry {
  const helper = command.createHelp();
  helper.prepareContext({ helpWidth: DEFAULT_WIDTH });
  const optionTerm = (o: Option): [string, string] => [helper.optionTerm(o), helper.optionDescription(o)];
  const sections: HelpEntry['sections'] = [
    {
      title: 'Arguments:',
      items: helper.visibleArguments(command).map((a) => [helper.argumentTerm(a), helper.argumentDescription(a)]),
    },
    ...grouped(command.options, helper.visibleOptions(command), (o) => o.helpGroupHeading ?? 'Options:', optionTerm),
    // Where commander puts them: after the command's own options, before its subcommands.
    {
      title: 'Global Options:',
      items: helper.showGlobalOptions ? helper.visibleGlobalOptions(command).map(optionTerm) : [],
    },
    ...grouped(
      command.commands,
      helper.visibleCommands(command),
      (c) => c.helpGroup() || 'Commands:',
      (c) => [helper.subcommandTerm(c), helper.subcommandDescription(c)],
    ),
  ];
  const entry: HelpEntry = {
    usage: helper.commandUsage(command),
    description: helper.commandDescription(command),
    termWidth: helper.padWidth(command, helper),
    sections,
    ...addedText(command),
  };
  // The layout counts characters as columns: an escape sequence in help text would break that.
  if (JSON.stringify(entry).includes('\\u001b'))
    throw new Error(`help snapshot: ${command.name()} has escape sequences in its help`);
  return entry;
}

/** Sections in commander's order: headings as they first appear among all items, then items as shown. */
function grouped<T>(
  all: readonly T[],
  visible: readonly T[],
  heading: (item: T) => string,
  pair: (item: T) => [string, string],
): HelpEntry['sections'] {
  const sections = new Map<string, HelpEntry['sections'][number]>();
  for (const item of [...all, ...visible]) {
    const title = heading(item);
    if (!sections.has(title)) sections.set(title, { title, items: [] });
  }
  for (const item of visible) sections.get(heading(item))?.items.push(pair(item));
  return [...sections.values()];
}

/** What `addHelpText` adds around the help, found by printing the help once and cutting it out. */
function addedText(command: Command): { before: string; after: string } {
  let printed = '';
  let information = '';
  const output = command.configureOutput();
  command.configureOutput({
    ...output,
    writeOut: (text) => (printed += text),
    getOutHelpWidth: () => DEFAULT_WIDTH,
    getOutHasColors: () => false,
  });
  try {
    command.outputHelp();
    information = command.helpInformation();
  } finally {
    command.configureOutput(output);
  }
  const at = printed.indexOf(information);
  if (at === -1) throw new Error(`help snapshot: cannot find the help of ${command.name()} in what it prints`);
  return { before: printed.slice(0, at), after: printed.slice(at + information.length) };
}
