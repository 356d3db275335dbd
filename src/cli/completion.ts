import type { Command, Option } from 'commander';
import { EVENT_TYPES } from '../core/events.js';

/**
 * Shell completion scripts made from the command table (issue 17), so they list exactly the
 * commands and options `--help` shows: commands and subcommands, each command's options and the
 * global ones, event types where an event is expected, choices where an option has them, and
 * files where a file is expected.
 */

const BIN = 'v2k-webhooks';
/** Options and arguments whose value is an event type. */
const EVENT_VALUES = new Set([
  '--events',
  '--add-event',
  '--remove-event',
  '--expect',
  'trigger <event>',
  'events [type]',
]);
/** Options whose value is a file. */
const FILE_OPTIONS = new Set(['--payload', '--record', '--db', '--write-env']);

interface OptionSpec {
  long: string | undefined;
  short: string | undefined;
  description: string;
  takesValue: boolean;
  /** Values to offer; undefined: a free value (nothing to offer), [] never. */
  values: readonly string[] | undefined;
  file: boolean;
}

interface CommandSpec {
  /** '' for the program, 'config get' for a nested one. */
  path: string;
  description: string;
  subcommands: string[];
  options: OptionSpec[];
  /** Values of its positional arguments (event types, shells) and whether one is a file. */
  values: readonly string[];
  file: boolean;
}

function specsOf(program: Command): CommandSpec[] {
  const specs: CommandSpec[] = [];
  const globals = program.options.map(optionSpec);
  const visit = (command: Command, path: string[]) => {
    const name = path.join(' ');
    const args = command.registeredArguments;
    const values = args.flatMap((arg) => {
      const term = `${command.name()} ${arg.required ? `<${arg.name()}>` : `[${arg.name()}]`}`;
      return EVENT_VALUES.has(term) ? EVENT_TYPES : (arg.argChoices ?? []);
    });
    specs.push({
      path: name,
      description: command.summary() || command.description(),
      subcommands: command.commands.map((c) => c.name()),
      options: [
        ...(path.length === 0 ? [] : command.options.map(optionSpec)),
        ...globals,
        { long: '--help', short: '-h', description: 'display help', takesValue: false, values: undefined, file: false },
      ],
      values,
      file: args.some((arg) => arg.name() === 'file'),
    });
    for (const sub of command.commands) visit(sub, [...path, sub.name()]);
  };
  visit(program, []);
  return specs;
}

function optionSpec(option: Option): OptionSpec {
  const long = option.long ?? undefined;
  const takesValue = option.required || option.optional;
  return {
    long,
    short: option.short ?? undefined,
    description: option.description,
    takesValue,
    values: !takesValue ? undefined : long !== undefined && EVENT_VALUES.has(long) ? EVENT_TYPES : option.argChoices,
    file: long !== undefined && FILE_OPTIONS.has(long),
  };
}

function words(spec: CommandSpec): string[] {
  return [
    ...spec.subcommands,
    ...spec.values,
    ...spec.options.flatMap((o) => [o.long, o.short]).filter((w): w is string => w !== undefined),
  ];
}

/** Every option that takes a value, grouped by what to offer for it. */
function valueOptions(specs: CommandSpec[]) {
  const byValues = new Map<string, Set<string>>();
  const files = new Set<string>();
  const free = new Set<string>();
  for (const option of specs.flatMap((s) => s.options)) {
    if (!option.takesValue) continue;
    const flags = [option.long, option.short].filter((f): f is string => f !== undefined);
    for (const flag of flags) {
      if (option.file) files.add(flag);
      else if (option.values && option.values.length > 0) {
        const key = option.values.join(' ');
        byValues.set(key, (byValues.get(key) ?? new Set()).add(flag));
      } else free.add(flag);
    }
  }
  // A flag some command takes freely and another with values (--api-key) offers nothing.
  for (const flags of byValues.values()) for (const flag of flags) if (free.has(flag)) flags.delete(flag);
  return { byValues: [...byValues].filter(([, f]) => f.size > 0), files: [...files], free: [...free] };
}

/** The `case` that walks the words before the cursor to the command they name ("config get"). */
function pathCase(specs: CommandSpec[], indent: string): string {
  const steps = specs
    .filter((s) => s.path !== '')
    .map((s) => {
      const parts = s.path.split(' ');
      return `'${parts.slice(0, -1).join(' ')}:${parts.at(-1) ?? ''}'`;
    });
  return `${indent}case "\${cmdpath}:\${word}" in\n${indent}  ${steps.join('|')}) cmdpath="\${cmdpath:+$cmdpath }\${word}" ;;\n${indent}esac`;
}

export function bashScript(program: Command): string {
  const specs = specsOf(program);
  const { byValues, files, free } = valueOptions(specs);
  return `# ${BIN} completion for bash. Load it from ~/.bashrc:
#   source <(${BIN} completion bash)
_v2k_webhooks() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local cmdpath="" word i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
${pathCase(specs, '    ')}
  done
  case "$prev" in
${byValues.map(([values, flags]) => `    ${[...flags].join('|')}) COMPREPLY=($(compgen -W "${values}" -- "$cur")); return ;;`).join('\n')}
    ${files.join('|')}) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    ${free.join('|')}) COMPREPLY=(); return ;;
  esac
  local candidates=""
  case "$cmdpath" in
${specs.map((s) => `    '${s.path}') candidates="${words(s).join(' ')}" ;;`).join('\n')}
  esac
  COMPREPLY=($(compgen -W "$candidates" -- "$cur"))
${
  specs.some((s) => s.file)
    ? `  case "$cmdpath" in\n    ${specs
        .filter((s) => s.file)
        .map((s) => `'${s.path}'`)
        .join('|')}) [[ "$cur" != -* ]] && COMPREPLY+=($(compgen -f -- "$cur")) ;;\n  esac\n`
    : ''
}}
complete -F _v2k_webhooks ${BIN}
`;
}

export function zshScript(program: Command): string {
  const specs = specsOf(program);
  const { byValues, files, free } = valueOptions(specs);
  return `#compdef ${BIN}
# ${BIN} completion for zsh. Save it as _${BIN} in a directory of $fpath, or load it
# from ~/.zshrc after compinit:  source <(${BIN} completion zsh)
_v2k_webhooks() {
  local prev="\${words[CURRENT-1]}" cmdpath="" word i
  for ((i = 2; i < CURRENT; i++)); do
    word="\${words[i]}"
${pathCase(specs, '    ')}
  done
  case "$prev" in
${byValues.map(([values, flags]) => `    ${[...flags].join('|')}) compadd -- ${values}; return ;;`).join('\n')}
    ${files.join('|')}) _files; return ;;
    ${free.join('|')}) return ;;
  esac
  case "$cmdpath" in
${specs.map((s) => `    '${s.path}') compadd -- ${words(s).join(' ')}${s.file ? '; _files' : ''} ;;`).join('\n')}
  esac
}
if [ "$funcstack[1]" = "_${BIN}" ]; then
  _v2k_webhooks "$@"
else
  compdef _v2k_webhooks ${BIN}
fi
`;
}

export function fishScript(program: Command): string {
  const specs = specsOf(program);
  const lines = [
    `# ${BIN} completion for fish. Save it:`,
    `#   ${BIN} completion fish > ~/.config/fish/completions/${BIN}.fish`,
    `complete -c ${BIN} -f`,
  ];
  const quote = (text: string) => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  const within = (spec: CommandSpec) => {
    if (spec.path === '') return '__fish_use_subcommand';
    const parts = spec.path.split(' ');
    const children = spec.subcommands;
    return [
      ...parts.map((p) => `__fish_seen_subcommand_from ${p}`),
      ...(children.length > 0 ? [`not __fish_seen_subcommand_from ${children.join(' ')}`] : []),
    ].join('; and ');
  };
  for (const spec of specs) {
    const condition = quote(within(spec));
    for (const sub of spec.subcommands) {
      const description = specs.find((s) => s.path === (spec.path === '' ? sub : `${spec.path} ${sub}`))?.description;
      lines.push(`complete -c ${BIN} -n ${condition} -a ${sub} -d ${quote(description ?? '')}`);
    }
    if (spec.values.length > 0) lines.push(`complete -c ${BIN} -n ${condition} -a ${quote(spec.values.join(' '))}`);
    if (spec.file) lines.push(`complete -c ${BIN} -n ${condition} -F`);
    const own =
      spec.path === '' ? spec.options : spec.options.slice(0, spec.options.length - program.options.length - 1);
    for (const option of own) {
      const flags = [
        option.long ? `-l ${option.long.slice(2)}` : '',
        option.short ? `-s ${option.short.slice(1)}` : '',
      ].filter(Boolean);
      const value = !option.takesValue
        ? ''
        : option.file
          ? ' -r -F'
          : option.values && option.values.length > 0
            ? ` -x -a ${quote(option.values.join(' '))}`
            : ' -x';
      const scope =
        spec.path === ''
          ? ''
          : ` -n ${quote(
              spec.path
                .split(' ')
                .map((p) => `__fish_seen_subcommand_from ${p}`)
                .join('; and '),
            )}`;
      lines.push(`complete -c ${BIN}${scope} ${flags.join(' ')}${value} -d ${quote(option.description)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
