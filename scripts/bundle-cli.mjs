// Bundles the CLI's start-up path (our sources + commander) into dist/cli-bundle so that
// `--help` and `--version` resolve a handful of files instead of dozens (issue 2: start-up
// within 1.3× of `node -e 0`). Every other package stays external and each command stays a
// lazily loaded chunk, so undici, SQLite, inquirer and ora load only in the commands that use them.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const bundled = new Set(['commander']);

rmSync('dist/cli-bundle', { recursive: true, force: true }); // no chunks of an earlier build left behind

await build({
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/cli-bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: false, // maps would point at src/, which the package does not ship
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  define: { __V2K_VERSION__: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version) },
  banner: {
    js: "import { createRequire as __v2kCreateRequire } from 'node:module'; const require = __v2kCreateRequire(import.meta.url);",
  },
  plugins: [
    {
      // commander requires child_process at load time, for executable subcommands we never use;
      // that pulls in net, dgram and a dozen more built-ins on every --help. Load it on first use.
      name: 'lazy-child-process',
      setup(b) {
        b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
          args.importer.includes('/node_modules/commander/')
            ? { path: 'child_process', namespace: 'lazy-builtin' }
            : undefined,
        );
        b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, () => ({
          contents:
            "let real; module.exports = new Proxy({}, { get: (_, key) => (real ??= require('node:child_process'))[key] });",
          loader: 'js',
        }));
      },
    },
    {
      name: 'external-packages',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => {
          const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
          return bundled.has(name) ? undefined : { path: args.path, external: true };
        });
      },
    },
  ],
});

// Every command's help as strings, so `--help` needs neither commander nor the command table
// (src/cli/help.ts). Taken from the command table tsc just built, so it cannot go stale.
const { buildProgram } = await import('../dist/cli/program.js');
const { snapshotHelp } = await import('../dist/cli/help.js');
const snapshot = snapshotHelp(buildProgram(() => async () => undefined));
writeFileSync('dist/cli-bundle/help.json', JSON.stringify(snapshot));
