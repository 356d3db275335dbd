import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PRELOAD = fileURLToPath(new URL('./heap-probe.mjs', import.meta.url));

export interface HeapProbe {
  /** Environment for the process to spawn: Node with `gc()` and the probe preloaded. */
  env: Record<string, string>;
  /** Bytes the process still holds after a full collection: its JS heap and its buffers. */
  retained(pid: number): Promise<number>;
}

/**
 * What a spawned process keeps, measured after a full garbage collection. Resident memory
 * after a load says little about leaks: V8 grows its heap over the first rounds and keeps
 * freed memory for a while, differently on each Node line (issue 13's CI saw it vary by
 * 140 MiB between two identical rounds). After `gc()`, only what is still referenced is left.
 */
export function heapProbe(): HeapProbe {
  const file = join(mkdtempSync(join(tmpdir(), 'v2k-heap-')), 'heap.json');
  return {
    env: { NODE_OPTIONS: `--expose-gc --import ${PRELOAD}`, HEAP_PROBE_FILE: file },
    async retained(pid) {
      rmSync(file, { force: true });
      process.kill(pid, 'SIGUSR2');
      for (let waited = 0; !existsSync(file); waited += 20) {
        if (waited > 10_000) throw new Error(`process ${pid} did not report its heap within 10 s`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const { heapUsed, external } = JSON.parse(readFileSync(file, 'utf8')) as { heapUsed: number; external: number };
      return heapUsed + external;
    },
  };
}
