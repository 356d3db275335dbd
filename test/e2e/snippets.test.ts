import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GUIDE } from '../../src/checker/result.js';
import { BIN } from '../helpers/cli.js';
import { runIsolatedBash } from '../helpers/isolated-shell.js';
import { commandsOf, parseMarkdown, SHELL_LANGUAGES, type FencedBlock } from '../helpers/markdown.js';

/*
 * Every shell snippet of README.md and docs/*.md runs as written. The conventions, for whoever
 * writes the docs:
 *
 * - Every fenced block names its language. ```sh, ```bash, ```shell and ```console blocks are
 *   commands and run here (of a console block, the `$ ` lines and their continuations); output
 *   goes in ```text, code in ```js / ```ts / ```python / ```yaml, none of which run.
 * - The blocks of one file run in order in one bash session with `set -eo pipefail`, so a block
 *   may use the variables and files of an earlier block of the same file (`id=$(… | jq -r .id)`
 *   then `v2k-webhooks get "$id"`), and any command that fails fails its block. A failing block
 *   stops its file's session; the message names the block and shows its output.
 * - The last non-blank line before a fence may be a marker:
 *     <!-- snippet: skip (why) -->         not run here (the public registry, a GitHub runner,
 *                                          the whole test suite…); the reason is required.
 *     <!-- snippet: until-ctrl-c "TEXT" --> a command that runs until stopped (listen,
 *                                          dispatcher, demo --keep): started in the background,
 *                                          given Ctrl+C once its output shows TEXT, and it
 *                                          must then exit 0.
 * - What a reader is assumed to have, each file's session has, in a fresh directory:
 *     `v2k-webhooks` on the PATH (a link to bin/v2k-webhooks.js, as `npm link` makes), an
 *     empty HOME, NO_COLOR, no terminal;
 *     V2K_API_URL / V2K_API_KEY pointing at a real dispatcher (the platform's timings, its dev key),
 *     standing for the API the reader is logged in to;
 *     "your app" on localhost:3000: a real receiver answering 200 to any path; once ./.env sets
 *     V2K_WEBHOOK_SECRET (as `listen --write-env .env` does) it verifies each POST with it,
 *     with this package's verify() (re-read each request, as if restarted), and answers 401
 *     when it does not verify.
 * - Each session runs in a private network namespace (unshare, when the machine allows it), so
 *   the ports the docs use (dispatcher 4000, listen 4001, your app 3000) are free and nothing
 *   collides with the rest of the suite; elsewhere it runs on the host's loopback.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOCS = ['README.md', ...listDocs()];
const SESSION_TIMEOUT_MS = 120_000;

function listDocs(): string[] {
  const dir = join(ROOT, 'docs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
}

const read = (file: string) => parseMarkdown(readFileSync(join(ROOT, file), 'utf8'));

const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** "Your app": answers 200, and verifies with V2K_WEBHOOK_SECRET of ./.env once there is one. */
const APP = `
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { verify } from ${JSON.stringify(join(ROOT, 'dist/index.js'))};

function secret() {
  try {
    const match = /^\\s*(?:export\\s+)?V2K_WEBHOOK_SECRET=(.*)$/m.exec(readFileSync('.env', 'utf8'));
    return match ? match[1].trim().replace(/^(['"])(.*)\\1$/, '$2') : undefined;
  } catch {
    return undefined;
  }
}

const handle = (req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const key = req.method === 'POST' ? secret() : undefined;
    const result = key ? verify({ payload: body, headers: req.headers, secret: key }) : { ok: true };
    console.log(req.method, req.url, req.headers['x-v2k-event'] ?? '', result.ok ? 'ok' : result.reason);
    if (!result.ok) return res.writeHead(401, { 'content-type': 'text/plain' }).end(result.message);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
  });
};
createServer(handle).listen(3000, '127.0.0.1');
createServer(handle).on('error', () => {}).listen(3000, '::1');
`;

interface Session {
  exitCode: number | undefined;
  timedOut: boolean;
  progress: string[];
  /** What each block printed. */
  logs: string[];
  harnessLogs: string;
}

async function runSession(file: string, blocks: FencedBlock[]): Promise<Session> {
  const work = mkdtempSync(join(tmpdir(), 'v2k-snippets-'));
  const [harness, home, cwd, bin, out] = ['harness', 'home', 'cwd', 'bin', 'out'].map((name) => {
    mkdirSync(join(work, name));
    return join(work, name);
  }) as [string, string, string, string, string];
  symlinkSync(BIN, join(bin, 'v2k-webhooks'));
  writeFileSync(join(harness, 'app.mjs'), APP);

  const lines: string[] = [
    `H=${shellQuote(harness)}`,
    'exec 3>>"$H/progress"',
    // The harness's own processes are not jobs of this shell, so a snippet's `wait` or `kill %1` never meets them.
    '__v2k_stop() { kill $(jobs -p) $(cat "$H"/*.pid 2>/dev/null) 2>/dev/null; wait 2>/dev/null; true; }',
    'trap __v2k_stop EXIT',
    `cd ${shellQuote(cwd)}`,
    '( v2k-webhooks dispatcher --port 0 --json --db "$H/dispatcher.db" > "$H/dispatcher.jsonl" 2> "$H/dispatcher.log" < /dev/null & echo $! > "$H/dispatcher.pid" )',
    '( node "$H/app.mjs" > "$H/app.log" 2>&1 < /dev/null & echo $! > "$H/app.pid" )',
    'for __i in $(seq 300); do [ -s "$H/dispatcher.jsonl" ] && curl -sf http://127.0.0.1:3000/ > /dev/null && break; sleep 0.1; done',
    '__ready=$(head -n 1 "$H/dispatcher.jsonl")',
    'export V2K_API_URL=$(jq -r .url <<< "$__ready") V2K_API_KEY=$(jq -r .devKey <<< "$__ready")',
    '[[ "$V2K_API_KEY" == v2k_dev_* ]] && curl -sf http://127.0.0.1:3000/ > /dev/null || { echo "harness not ready" >&3; exit 99; }',
    'unset -v __i __ready',
    '__v2k_until() { for __n in $(seq 300); do grep -qF -- "$2" "$1" && return 0; kill -0 "$3" 2> /dev/null || break; sleep 0.1; done; echo "no $2 in its output" >&3; return 1; }',
    'echo ready >&3',
    'set -eo pipefail',
  ];
  blocks.forEach((block, index) => {
    const script = join(harness, `block-${index}.sh`);
    writeFileSync(script, `${commandsOf(block)}\n`);
    const log = shellQuote(join(out, `${index}.log`));
    lines.push(`echo "start ${index} $(date +%s.%N)" >&3`);
    if (block.mode?.kind === 'until-ctrl-c') {
      // Job control: the block gets a process group of its own, which Ctrl+C signals as a terminal would.
      lines.push(
        'set -m',
        `( source ${shellQuote(script)} ) > ${log} 2>&1 < /dev/null &`,
        '__v2k_pid=$!',
        'set +m',
        `__v2k_until ${log} ${shellQuote(block.mode.text)} "$__v2k_pid"`,
        'kill -INT -- "-$__v2k_pid"',
        'wait "$__v2k_pid"',
      );
    } else {
      lines.push(`source ${shellQuote(script)} > ${log} 2>&1 < /dev/null`);
    }
    lines.push(`echo "ok ${index}" >&3`);
  });
  lines.push('echo done >&3');
  const sessionPath = join(harness, 'session.sh');
  writeFileSync(sessionPath, `${lines.join('\n')}\n`);

  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('V2K_')));
  const result = await runIsolatedBash(
    sessionPath,
    {
      ...(inherited as Record<string, string>),
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      NO_COLOR: '1',
    },
    SESSION_TIMEOUT_MS,
  );
  const readOr = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');
  const session: Session = {
    exitCode: result.exitCode,
    timedOut: result.timedOut,
    progress: readOr(join(harness, 'progress')).split('\n').filter(Boolean),
    logs: blocks.map((_, index) => readOr(join(out, `${index}.log`))),
    harnessLogs:
      ['dispatcher.log', 'app.log']
        .map((name) => `--- ${name}\n${readOr(join(harness, name)).slice(-2000)}`)
        .join('\n') + `\n--- session stderr\n${String(result.stderr)}`,
  };
  rmSync(work, { recursive: true, force: true });
  return session;
}

describe('the shell snippets of README.md and docs/', () => {
  it('name their language, and every marker is well-formed and sits on a block', () => {
    const problems: string[] = [];
    for (const file of DOCS) {
      const { blocks, strayMarkers } = read(file);
      for (const block of blocks) {
        if (block.lang === '')
          problems.push(`${file}:${block.line}: name the language (sh for commands, text for output)`);
        if (block.markerError) problems.push(`${file}:${block.line}: ${block.markerError}`);
        if (block.mode && block.mode.kind !== 'run' && !SHELL_LANGUAGES.has(block.lang))
          problems.push(`${file}:${block.line}: a snippet marker on a ${block.lang} block, which never runs`);
      }
      for (const marker of strayMarkers)
        problems.push(`${file}:${marker.line}: a snippet marker with no fenced block after it`);
    }
    expect(problems).toEqual([]);
  });

  it('link to files and headings that exist, and keep the anchors the check report card links to', () => {
    const problems: string[] = [];
    for (const file of DOCS) {
      for (const { line, target } of read(file).links) {
        if (/^[a-z]+:/i.test(target)) continue;
        const [path = '', anchor] = target.split('#');
        const to = path === '' ? file : relative(ROOT, resolve(ROOT, dirname(file), path));
        if (!existsSync(join(ROOT, to))) {
          // Written on a branch merged alongside this one (dispatcher --chaos).
          if (to !== 'docs/chaos.md') problems.push(`${file}:${line}: ${target}: no such file`);
          continue;
        }
        if (anchor !== undefined && to.endsWith('.md') && !read(to).anchors.has(anchor))
          problems.push(`${file}:${line}: ${target}: no such heading in ${to}`);
      }
    }
    const readme = read('README.md').anchors;
    for (const url of Object.values(GUIDE)) {
      const anchor = url.split('#')[1] ?? '';
      if (!readme.has(anchor)) problems.push(`README.md: no heading for #${anchor}, which \`check\` links to`);
    }
    expect(problems).toEqual([]);
  });

  it('keeps the README short: the reference lives in docs/', () => {
    const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').trimEnd().split('\n').length;
    expect(lines).toBeLessThanOrEqual(250);
  });

  for (const file of DOCS) {
    const blocks = read(file).blocks.filter(
      (block) => SHELL_LANGUAGES.has(block.lang) && block.mode?.kind !== 'skip' && !block.markerError,
    );
    it.runIf(blocks.length > 0)(
      `${file}: every shell block runs as written`,
      async () => {
        const session = await runSession(file, blocks);
        const started = session.progress.filter((line) => line.startsWith('start ')).length;
        const finished = session.progress.includes('done');
        if (!finished) {
          const index = started - 1;
          const block = blocks[index];
          const where = block
            ? `${file}:${block.line}\n${block.code}\n--- its output\n${session.logs[index] ?? ''}`
            : `before the first block (the harness)\n${session.harnessLogs}`;
          const why = session.timedOut ? `timed out after ${SESSION_TIMEOUT_MS / 1000} s` : `exit ${session.exitCode}`;
          const note = session.progress.filter((line) => !/^(start|ok) \d+( [\d.]+)?$|^ready$/.test(line)).join('\n');
          throw new Error(`A snippet failed (${why}) at ${where}${note ? `\n--- ${note}` : ''}`);
        }
        expect(session.exitCode).toBe(0);
      },
      SESSION_TIMEOUT_MS + 10_000,
    );
  }
});
