import { defineConfig } from 'vitest/config';

/**
 * The tests that load the machine on purpose (thousands of events, floods, kills) or hold it to
 * the delivery rules' timing (a 3 s timeout a healthy answer must never hit). They run after the
 * rest, one file at a time, so no other test file competes with them for the 2 cores.
 */
const UNDER_LOAD = [
  'test/reliability/soak.test.ts',
  'test/reliability/relay-soak.test.ts',
  'test/reliability/kill-loop.test.ts',
  'test/reliability/hostile.test.ts',
  'test/reliability/memory.test.ts',
  'test/reliability/admin-cost.test.ts',
  'test/reliability/huge-recording.test.ts',
  'test/integration/dispatcher/burst.test.ts',
  'test/integration/dispatcher/fairness.test.ts',
];

const shared = { testTimeout: 60_000, hookTimeout: 60_000, pool: 'forks' } as const;

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: UNDER_LOAD,
          // Vitest's default on a 2-core machine is one worker; most of these wait on sockets and
          // child processes, so two halve their wall time, and CI runs the suite three times.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...shared,
          name: 'under-load',
          include: UNDER_LOAD,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
