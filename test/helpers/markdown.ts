/**
 * Reads the fenced blocks, snippet markers, headings and links of a Markdown file, for the test
 * that runs every shell snippet of the README and docs/ (test/e2e/snippets.test.ts states the
 * conventions).
 */

/** The languages whose blocks are commands, run by the snippet test. */
export const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell', 'console']);

export type SnippetMode =
  | { kind: 'run' }
  | { kind: 'skip'; reason: string }
  /** Runs until stopped: started, and given Ctrl+C once its output shows `text`. */
  | { kind: 'until-ctrl-c'; text: string };

export interface FencedBlock {
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string's first word; '' when the fence names none. */
  lang: string;
  /** The block's lines, its fence's indentation removed. */
  code: string;
  /** The marker on the last non-blank line before the fence, parsed; undefined when none. */
  mode?: SnippetMode;
  /** Why the marker could not be read (unknown kind, skip without a reason…). */
  markerError?: string;
}

export interface MarkdownFile {
  blocks: FencedBlock[];
  /** Markers that are not followed by a fenced block: `line` and text. */
  strayMarkers: Array<{ line: number; text: string }>;
  /** The anchors GitHub and npm make of the headings (outside fenced blocks). */
  anchors: Set<string>;
  /** Every inline link target `[text](target)` outside fenced blocks and code spans. */
  links: Array<{ line: number; target: string }>;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/;
const MARKER = /^<!--\s*snippet:(.*?)-->\s*$/;

export function parseMarkdown(text: string): MarkdownFile {
  const lines = text.split('\n');
  const blocks: FencedBlock[] = [];
  const strayMarkers: MarkdownFile['strayMarkers'] = [];
  const anchors = new Set<string>();
  const links: MarkdownFile['links'] = [];
  const slugCounts = new Map<string, number>();
  let pendingMarker: { line: number; text: string } | undefined;

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const fence = FENCE.exec(line);
    if (fence) {
      const [, indent = '', marks = '', lang = ''] = fence;
      const body: string[] = [];
      let j = i + 1;
      const closing = new RegExp(`^\\s*${marks[0] === '`' ? '`' : '~'}{${marks.length},}\\s*$`);
      for (; j < lines.length && !closing.test(lines[j] ?? ''); j++) {
        const content = lines[j] ?? '';
        body.push(content.startsWith(indent) ? content.slice(indent.length) : content.trimStart());
      }
      const block: FencedBlock = { line: i + 1, lang: lang.toLowerCase(), code: body.join('\n') };
      if (pendingMarker) {
        const parsed = parseMarker(pendingMarker.text);
        if ('error' in parsed) block.markerError = parsed.error;
        else block.mode = parsed;
        pendingMarker = undefined;
      }
      blocks.push(block);
      i = j;
      continue;
    }
    if (line.trim() === '') continue;
    if (pendingMarker) strayMarkers.push(pendingMarker);
    pendingMarker = undefined;
    const marker = MARKER.exec(line.trim());
    if (marker) {
      pendingMarker = { line: i + 1, text: (marker[1] ?? '').trim() };
      continue;
    }
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const slug = slugify(heading[1] ?? '');
      const seen = slugCounts.get(slug) ?? 0;
      slugCounts.set(slug, seen + 1);
      anchors.add(seen === 0 ? slug : `${slug}-${seen}`);
    }
    const prose = line.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(([^)\s]+)\)/g)) links.push({ line: i + 1, target: match[1] ?? '' });
  }
  if (pendingMarker) strayMarkers.push(pendingMarker);
  return { blocks, strayMarkers, anchors, links };
}

/** `skip (reason)` or `until-ctrl-c "TEXT"`. */
export function parseMarker(text: string): SnippetMode | { error: string } {
  const skip = /^skip\b\s*(?:\((.*)\))?\s*$/.exec(text);
  if (skip) {
    const reason = (skip[1] ?? '').trim();
    return reason === ''
      ? { error: 'a skipped snippet needs its reason: <!-- snippet: skip (why it cannot run here) -->' }
      : { kind: 'skip', reason };
  }
  const ctrlC = /^until-ctrl-c\b\s*(?:"(.*)")?\s*$/.exec(text);
  if (ctrlC) {
    const wanted = ctrlC[1] ?? '';
    return wanted === ''
      ? { error: 'until-ctrl-c needs the text to wait for: <!-- snippet: until-ctrl-c "Ready." -->' }
      : { kind: 'until-ctrl-c', text: wanted };
  }
  return { error: `unknown snippet marker "${text}" (skip (reason) or until-ctrl-c "TEXT")` };
}

/** The commands of a block: all of it, or for `console` the `$ ` lines and their continuations. */
export function commandsOf(block: FencedBlock): string {
  if (block.lang !== 'console') return block.code;
  const commands: string[] = [];
  let continuing = false;
  for (const line of block.code.split('\n')) {
    if (continuing) commands.push(line);
    else if (line.startsWith('$ ')) commands.push(line.slice(2));
    else continue;
    continuing = line.endsWith('\\');
  }
  return commands.join('\n');
}

/** The anchor GitHub and npm give a heading: lowercase, punctuation dropped, spaces to hyphens. */
export function slugify(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}
