/**
 * Runs `kserve-llmd <command>` as a child process, exactly as an operator would (bin/kserve-llmd.js), with its
 * output kept in a log file the test can read and print on failure. Stopped by its own pid only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './env.js';
import { eventually } from './kube.js';

export interface Component {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** The process's output so far. */
  log(): string;
  /** JSON log lines so far (non-JSON lines are skipped). */
  records(): Array<Record<string, any>>;
  exited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL: a crash, nothing released. */
  kill(): Promise<void>;
}

const logDir = mkdtempSync(path.join(tmpdir(), 'kserve-llmd-e2e-logs-'));
/** Children still running when the test process exits (a failed hook) are killed, never left behind. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export function startComponent(name: string, args: string[], env: Record<string, string> = {}): Component {
  const logFile = path.join(logDir, `${name}-${Date.now()}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'kserve-llmd.js'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, KUBECONFIG: '', K_SINK: '', ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  live.add(child);
  let exitedFlag = false;
  const done = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exitedFlag = true;
      live.delete(child);
      resolve();
    }),
  );
  const log = (): string => readFileSync(logFile, 'utf8');
  const signal = async (sig: NodeJS.Signals, graceMs: number): Promise<void> => {
    if (exitedFlag) return;
    child.kill(sig);
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs));
    if ((await Promise.race([done, timer])) === 'timeout' && !exitedFlag) {
      child.kill('SIGKILL');
      await done;
    }
  };
  return {
    name,
    child,
    logFile,
    log,
    records: () =>
      log()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as Record<string, any>];
          } catch {
            return [];
          }
        }),
    exited: () => exitedFlag,
    stop: (graceMs = 10_000) => signal('SIGTERM', graceMs),
    kill: () => signal('SIGKILL', 5_000),
  };
}

/** Wait until `ready()` holds; a process that exits first fails with its log. */
export async function waitReady(c: Component, what: string, ready: () => Promise<boolean>, timeoutMs = 30_000) {
  await eventually(
    `${c.name}: ${what}`,
    async () => {
      if (c.exited()) throw new Error(`${c.name} exited:\n${c.log().slice(-3000)}`);
      return (await ready().catch(() => false)) || undefined;
    },
    timeoutMs,
    200,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n--- ${c.name} log (${c.logFile}) ---\n${c.log().slice(-3000)}`);
  });
}

/** A free TCP port on `host` (bound and released: the caller binds it next). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
