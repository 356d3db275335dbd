import { execFileSync } from 'node:child_process';
import { execa, type Result } from 'execa';

/**
 * unshare's flags for a bash of its own network (a loopback nobody else uses, so the fixed ports
 * the docs show — 3000, 4000, 4001 — are free) and process namespace (everything it started
 * dies with it). Root may; others may through a user namespace; undefined when neither works,
 * and the shell then runs on the host's loopback.
 */
export const ISOLATION = ((): string[] | undefined => {
  const base = ['--net', '--pid', '--fork', '--mount-proc', '--kill-child'];
  for (const flags of [base, ['--map-root-user', ...base]]) {
    try {
      execFileSync('unshare', [...flags, 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore', timeout: 10_000 });
      return flags;
    } catch {
      // try the next way, or none
    }
  }
  return undefined;
})();

/**
 * Runs `bash SCRIPT` in its own network and process namespaces when the machine allows it,
 * with exactly `env` (nothing inherited), its loopback up. Never throws on a non-zero exit.
 */
export function runIsolatedBash(script: string, env: Record<string, string>, timeoutMs: number): Promise<Result> {
  const bash = ['bash', '-c', `${ISOLATION ? 'ip link set lo up && ' : ''}exec bash "$0"`, script];
  const [command, ...args] = ISOLATION ? ['unshare', ...ISOLATION, ...bash] : bash;
  return execa(command ?? 'bash', args, { reject: false, stdin: 'ignore', timeout: timeoutMs, extendEnv: false, env });
}
