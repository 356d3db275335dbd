// Bundles the CLI's start-up path (our sources + commander) into dist/cli-bundle so that
// `--help` and `--version` resolve a handful of files instead of dozens (issue 2: start-up
// within 1.3× of `node -e 0`). Every other package stays external and each command stays a
// lazily loaded chunk, so undici, SQLite, inquirer and ora load only in the commands that use them.
import { readFileSync, rmSync } from 'node:fs';
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
  sourcemap: true,
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  define: { __V2K_VERSION__: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version) },
  banner: { js: "import { createRequire as __v2kCreateRequire } from 'node:module'; const require = __v2kCreateRequire(import.meta.url);" },
  plugins: [
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
