import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// issue 13: the package as a user installs it — `npm pack`, then an install of the tarball into
// a fresh project, offline, from the tarball and npm's local cache (filled by `npm ci`).
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

let dir: string;
let installed: string;

async function run(file: string, args: string[], options: { cwd?: string; timeout?: number } = {}) {
  return execa(file, args, {
    cwd: options.cwd ?? dir,
    reject: false,
    timeout: options.timeout ?? 120_000,
    env: { HOME: dir, XDG_CONFIG_HOME: join(dir, '.config'), NO_COLOR: '1', npm_config_update_notifier: 'false' },
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'v2k-package-'));
  // --ignore-scripts: `prepare` would build again; `npm test` has just built dist/.
  const pack = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT });
  const packed = JSON.parse(pack.stdout) as Array<{ filename: string; integrity: string }>;
  const { filename, integrity } = packed[0] ?? { filename: '', integrity: '' };
  expect(filename).toMatch(/\.tgz$/);
  writeConsumer(filename, integrity);
  // `npm ci --offline`: everything comes from the tarball and from npm's cache, by the
  // integrity hashes of our own lockfile. Install scripts are skipped: better-sqlite3's compile is
  // not what is under test, and its addon, built by `npm ci` for this very Node, is copied in below.
  const install = await execa('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: dir,
    reject: false,
  });
  expect(install.exitCode, install.stderr).toBe(0);
  installed = join(dir, 'node_modules', 'v2k-webhooks');
  const addon = join('build', 'Release', 'better_sqlite3.node');
  mkdirSync(join(dir, 'node_modules', 'better-sqlite3', 'build', 'Release'), { recursive: true });
  copyFileSync(join(ROOT, 'node_modules', 'better-sqlite3', addon), join(dir, 'node_modules', 'better-sqlite3', addon));
}, 300_000);

/**
 * A consumer project whose lockfile holds the tarball and, copied from our own lockfile, the
 * entries of its production dependencies plus TypeScript and @types/node for the type check.
 */
function writeConsumer(filename: string, integrity: string): void {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, Record<string, unknown>>;
  };
  const tools = { typescript: pkg.devDependencies.typescript, '@types/node': pkg.devDependencies['@types/node'] };
  const packages: Record<string, Record<string, unknown>> = {};
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '') continue;
    const wanted = !entry.dev && !entry.devOptional;
    const tool = path === 'node_modules/typescript' || path === 'node_modules/undici-types';
    if (!wanted && !tool) continue;
    const { dev: _dev, devOptional: _devOptional, ...rest } = entry;
    packages[path] = rest;
  }
  const dependencies = { 'v2k-webhooks': `file:${filename}`, ...tools };
  packages['node_modules/v2k-webhooks'] = {
    version: pkg.version,
    resolved: `file:${filename}`,
    integrity,
    dependencies: pkg.dependencies,
    bin: { 'v2k-webhooks': 'bin/v2k-webhooks.js' },
  };
  const manifest = { name: 'consumer', version: '1.0.0', private: true, type: 'commonjs', dependencies };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest));
  writeFileSync(
    join(dir, 'package-lock.json'),
    JSON.stringify({
      name: 'consumer',
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: { '': { name: 'consumer', version: '1.0.0', dependencies }, ...packages },
    }),
  );
}

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const VERIFY_SCRIPT = `
  const body = JSON.stringify({ event: 'test', timestamp: new Date().toISOString(), data: {} });
  const headers = lib.generateTestHeaders({ payload: body, secret: ${JSON.stringify(SECRET)} });
  const good = lib.verify({ payload: body, headers, secret: ${JSON.stringify(SECRET)} });
  const bad = lib.verify({ payload: body + ' ', headers, secret: ${JSON.stringify(SECRET)} });
  console.log(JSON.stringify({ good: good.ok, bad: bad.ok, dispatcher: typeof lib.createDispatcher }));
`;

describe('the package as installed from its tarball', () => {
  it('ships compiled code, types and a LICENSE, and no source map without its source', () => {
    const files = readdirSync(installed, { recursive: true, encoding: 'utf8' });
    expect(files).toContain('LICENSE');
    expect(files).toContain(join('dist', 'index.d.ts'));
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.some((f) => f.startsWith('src'))).toBe(false);
    const license = readFileSync(join(installed, 'LICENSE'), 'utf8');
    const declared = (JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { license: string }).license;
    expect(license).toMatch(new RegExp(`^${declared} License`));
  });

  it('ships docs/, which the README links to', () => {
    const pages = readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md'));
    expect(pages.length).toBeGreaterThan(0);
    expect(readdirSync(join(installed, 'docs')).sort()).toEqual(pages.sort());
  });

  it('runs the installed bin: --version and demo', async () => {
    const version = await run(join(dir, 'node_modules', '.bin', 'v2k-webhooks'), ['--version']);
    expect(version.stdout.trim()).toBe(pkg.version);
    const demo = await run(join(dir, 'node_modules', '.bin', 'v2k-webhooks'), ['--json', 'demo']);
    expect(demo.stderr).not.toMatch(/Unexpected error/);
    expect(demo.exitCode).toBe(0);
  });

  it('is loaded by require() and by import, and verifies with better-sqlite3 removed', async () => {
    writeFileSync(join(dir, 'with-require.cjs'), `const lib = require('v2k-webhooks');\n${VERIFY_SCRIPT}`);
    writeFileSync(join(dir, 'with-import.mjs'), `import * as lib from 'v2k-webhooks';\n${VERIFY_SCRIPT}`);
    const expected = { good: true, bad: false, dispatcher: 'function' };
    for (const script of ['with-require.cjs', 'with-import.mjs']) {
      const result = await run('node', [script]);
      expect(result.stderr, script).toBe('');
      expect(JSON.parse(result.stdout), script).toEqual(expected);
    }

    const native = join(dir, 'node_modules', 'better-sqlite3');
    const kept = `${native}.kept`;
    await execa('mv', [native, kept]);
    try {
      for (const script of ['with-require.cjs', 'with-import.mjs']) {
        const result = await run('node', [script]);
        expect(result.stderr, script).toBe('');
        expect(JSON.parse(result.stdout), script).toEqual(expected);
      }
    } finally {
      await execa('mv', [kept, native]);
    }
  });

  it('type-checks a consumer with skipLibCheck off, from ESM and from CommonJS', async () => {
    const uses = `
      const body = '{"event":"test"}';
      const headers: Record<string, string> = generateTestHeaders({ payload: body, secret: 'whsec_x' });
      const result: VerifyResult = verify({ payload: body, headers, secret: ['whsec_x'] });
      export async function start(): Promise<string> {
        const d: Dispatcher = await createDispatcher({ dbPath: ':memory:', port: 0 });
        await d.close();
        return result.ok ? d.url : result.reason;
      }
    `;
    writeFileSync(
      join(dir, 'esm.mts'),
      `import { createDispatcher, generateTestHeaders, verify, type Dispatcher, type VerifyResult } from 'v2k-webhooks';\n${uses}`,
    );
    writeFileSync(
      join(dir, 'cjs.cts'),
      `import { createDispatcher, generateTestHeaders, verify, type Dispatcher, type VerifyResult } from 'v2k-webhooks';\n${uses}`,
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          types: ['node'],
        },
        files: ['esm.mts', 'cjs.cts'],
      }),
    );
    const tsc = await run('node', [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.exitCode).toBe(0);
  });
});
