// Preloaded into a spawned dispatcher or listen by test/helpers/heap.ts (never by the product):
// on SIGUSR2 it collects all garbage and writes what the process still holds to HEAP_PROBE_FILE.
import { renameSync, writeFileSync } from 'node:fs';

process.on('SIGUSR2', () => {
  globalThis.gc();
  // Array buffers are freed by a sweeper after the collection: a second one a moment later counts them gone.
  setTimeout(() => {
    globalThis.gc();
    const { heapUsed, external } = process.memoryUsage();
    const file = process.env.HEAP_PROBE_FILE;
    writeFileSync(`${file}.part`, JSON.stringify({ heapUsed, external }));
    renameSync(`${file}.part`, file);
  }, 100);
});
