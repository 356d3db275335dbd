import { describe, expect, it } from 'vitest';
import { commandsOf, parseMarker, parseMarkdown, slugify } from '../helpers/markdown.js';

// The reader behind test/e2e/snippets.test.ts: a marker it misreads would skip or run the wrong block.
describe('snippet markers', () => {
  it.each([
    ['skip (needs a GitHub runner)', { kind: 'skip', reason: 'needs a GitHub runner' }],
    ['skip', { error: expect.stringMatching(/needs its reason/) }],
    ['skip ()', { error: expect.stringMatching(/needs its reason/) }],
    ['skip (  )', { error: expect.stringMatching(/needs its reason/) }],
    ['until-ctrl-c "Ready."', { kind: 'until-ctrl-c', text: 'Ready.' }],
    ['until-ctrl-c', { error: expect.stringMatching(/text to wait for/) }],
    ['run-later', { error: expect.stringMatching(/unknown snippet marker/) }],
  ])('%s', (text, expected) => {
    expect(parseMarker(text)).toEqual(expected);
  });

  it('attaches a marker to the next fence across blank lines, and reports one with no fence after it', () => {
    const file = parseMarkdown(
      [
        '<!-- snippet: skip (why) -->',
        '',
        '```sh',
        'npm test',
        '```',
        '<!-- snippet: skip (lost) -->',
        'prose',
        '```text',
        'out',
        '```',
      ].join('\n'),
    );
    expect(file.blocks.map((b) => [b.line, b.lang, b.mode])).toEqual([
      [3, 'sh', { kind: 'skip', reason: 'why' }],
      [8, 'text', undefined],
    ]);
    expect(file.strayMarkers).toEqual([{ line: 6, text: 'skip (lost)' }]);
  });
});

describe('blocks, headings and links', () => {
  it('keeps the commands of a console block, with their continuation lines', () => {
    const [block] = parseMarkdown(
      ['```console', '$ v2k-webhooks list \\', '    --json', '[]', '$ echo done', 'done', '```'].join('\n'),
    ).blocks;
    expect(block && commandsOf(block)).toBe('v2k-webhooks list \\\n    --json\necho done');
  });

  it('removes the fence indentation of a block inside a list item', () => {
    const [block] = parseMarkdown(['- step', '  ```sh', '  echo a', '    echo b', '  ```'].join('\n')).blocks;
    expect(block?.code).toBe('echo a\n  echo b');
  });

  it.each([
    ['Check your receiver', 'check-your-receiver'],
    ['Monitoring page (`/admin/webhooks`)', 'monitoring-page-adminwebhooks'],
    ['listen: the local relay', 'listen-the-local-relay'],
    ['A CI recipe (GitHub Actions)', 'a-ci-recipe-github-actions'],
    ['`events [type]`', 'events-type'],
  ])('heading %s → #%s', (heading, slug) => {
    expect(slugify(heading)).toBe(slug);
  });

  it('numbers repeated headings and ignores headings and links inside code', () => {
    const file = parseMarkdown(
      [
        '## Decisions',
        '## Decisions',
        '```sh',
        '# not a heading [x](nowhere.md)',
        '```',
        'See [a](b.md#c) `[d](e)`.',
      ].join('\n'),
    );
    expect([...file.anchors]).toEqual(['decisions', 'decisions-1']);
    expect(file.links).toEqual([{ line: 6, target: 'b.md#c' }]);
  });
});
