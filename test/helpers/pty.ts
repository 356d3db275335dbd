import { execa } from 'execa';
import { BIN } from './cli.js';

/** One exchange with the program: wait until the screen shows `expect`, then type `send`. */
export interface PtyStep {
  expect: RegExp;
  send: string;
}

export interface PtyResult {
  exitCode: number | null;
  /** Everything the terminal showed (stdout and stderr share it), ANSI sequences removed. */
  output: string;
  /** Set when a step's `expect` never showed up; the run was killed. */
  failedStep?: number;
  /** Milliseconds from the last step's keys to the program's exit (null when there were no steps). */
  exitMsAfterLastStep: number | null;
}

/** Keys as a terminal sends them. */
export const KEY = { enter: '\r', space: ' ', down: '\u001b[B', up: '\u001b[A', ctrlC: '\u0003' } as const;

// Python's pty module gives the CLI a real pseudo-terminal (there is no node-pty here): stdin and
// stdout are TTYs, so prompts and spinners run exactly as a person sees them.
const DRIVER = String.raw`
import json, os, pty, re, select, sys, time, fcntl, termios, struct, signal
spec = json.loads(sys.stdin.read())
ansi = re.compile(rb'\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][0-9A-B]|\r')
pid, fd = pty.fork()
if pid == 0:
    os.execvpe(spec['argv'][0], spec['argv'], spec['env'])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 40, spec['columns'], 0, 0))
seen = b''
eof = False
def pump(wait):
    global seen, eof
    r, _, _ = select.select([fd], [], [], wait)
    if not r:
        return
    try:
        data = os.read(fd, 65536)
    except OSError:
        data = b''
    if not data:
        eof = True
    seen += data
failed = None
cursor = 0
sent_at = None
for i, step in enumerate(spec['steps']):
    pattern = re.compile(step['expect'].encode(), re.S)
    deadline = time.time() + spec['stepTimeout']
    match = None
    while True:
        clean = ansi.sub(b'', seen)
        match = pattern.search(clean, cursor)
        if match or eof or time.time() > deadline:
            break
        pump(0.05)
    if not match:
        failed = i
        break
    cursor = match.end()
    time.sleep(0.05)
    os.write(fd, step['send'].encode())
    sent_at = time.time()
if failed is not None:
    os.kill(pid, signal.SIGKILL)
deadline = time.time() + spec['exitTimeout']
while not eof and time.time() < deadline:
    pump(0.05)
if not eof:
    os.kill(pid, signal.SIGKILL)
_, status = os.waitpid(pid, 0)
exited_ms = None if sent_at is None else round((time.time() - sent_at) * 1000)
code = os.waitstatus_to_exitcode(status)
print(json.dumps({'exitCode': code, 'output': ansi.sub(b'', seen).decode('utf8', 'replace'), 'failedStep': failed, 'exitMs': exited_ms}))
`;

/**
 * Runs the built CLI in a pseudo-terminal and plays `steps` as a person would type them.
 * The environment is the caller's `env` only (plus PATH): no CI variable, so the CLI is interactive.
 */
export async function runInPty(
  args: readonly string[],
  options: { env: Record<string, string>; steps: PtyStep[]; stepTimeoutMs?: number; columns?: number },
): Promise<PtyResult> {
  const spec = {
    argv: [process.execPath, BIN, ...args],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm-256color', NO_COLOR: '1', ...options.env },
    steps: options.steps.map((s) => ({ expect: s.expect.source, send: s.send })),
    stepTimeout: (options.stepTimeoutMs ?? 15_000) / 1000,
    columns: options.columns ?? 160,
    exitTimeout: 15,
  };
  const run = await execa('python3', ['-c', DRIVER], {
    input: JSON.stringify(spec),
    reject: false,
    timeout: 60_000,
    extendEnv: true,
  });
  if (run.exitCode !== 0) throw new Error(`the pty driver failed: ${String(run.stderr)}`);
  const result = JSON.parse(String(run.stdout)) as {
    exitCode: number | null;
    output: string;
    failedStep: number | null;
    exitMs: number | null;
  };
  return {
    exitCode: result.exitCode,
    output: result.output,
    exitMsAfterLastStep: result.exitMs,
    ...(result.failedStep === null ? {} : { failedStep: result.failedStep }),
  };
}
