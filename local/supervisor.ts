/**
 * The process supervisor: keeps `desired` replicas per role. Starts engines (launchers.ts), probes /health
 * until ready, detects a crash (the process exits unasked) and replaces it at once, drains a replica chosen
 * for scale-down (out of routing, in-flight requests finish, then SIGTERM, SIGKILL after the grace), and stops
 * everything on shutdown. An engine command that keeps dying before it is ever ready is fatal: after
 * `maxStartFailures` in a row, `onFatal` reports it with the engine's last output line.
 */
import { spawn } from 'node:child_process';
import { request } from 'undici';
import type { DeciderRole } from '../autoscaler/decider/types.js';
import type { Logger } from '../src/log.js';
import type { LocalConfig } from './config.js';
import type { EngineLauncher } from './launchers.js';
import { keepTail, newReplica, type Replica } from './replica.js';

export interface SupervisorHooks {
  onReady?(r: Replica): void;
  onCrash?(r: Replica, detail: string): void;
  onFatal(err: Error): void;
}

const ROLES: DeciderRole[] = ['decode', 'prefill'];

export class Supervisor {
  private readonly all = new Map<string, Replica>();
  private readonly want: Record<DeciderRole, number> = { decode: 0, prefill: 0 };
  private readonly exits = new Map<string, Promise<void>>();
  private seq = 0;
  private startFailures = 0;
  private stopping = false;
  /** The last cold start seen per role (start to ready), for estimates such as Retry-After. */
  readonly lastColdStartMs: Partial<Record<DeciderRole, number>> = {};

  constructor(
    private readonly launcher: EngineLauncher,
    private readonly cfg: LocalConfig['engine'],
    private readonly logger: Logger,
    private readonly hooks: SupervisorHooks,
  ) {}

  replicas(role?: DeciderRole): Replica[] {
    return [...this.all.values()].filter((r) => role === undefined || r.role === role);
  }

  ready(role: DeciderRole): Replica[] {
    return this.replicas(role).filter((r) => r.state === 'ready' && !r.unreachable);
  }

  /**
   * The gateway could not connect to `r`. A process that died is reported by its exit event; one that is alive
   * but not answering /health is killed (then replaced); an external engine (urls mode) is dropped and re-probed.
   */
  unreachable(r: Replica): void {
    if (r.unreachable || this.all.get(r.id) !== r) return;
    r.unreachable = true;
    if (!r.proc) return this.failed(r, 'connection refused', true);
    void healthy(r.url).then((ok) => {
      if (ok) r.unreachable = false;
      else if (this.all.get(r.id) === r) r.proc?.kill('SIGKILL');
    });
  }

  /** Replicas requested for a role (starting + ready; draining ones are on their way out). */
  active(role: DeciderRole): number {
    return this.replicas(role).filter((r) => r.state !== 'draining').length;
  }

  desired(role: DeciderRole): number {
    return this.want[role];
  }

  /** Set a role's replica count (capped by what the launcher can provide); returns the change, if any. */
  scale(role: DeciderRole, n: number): { from: number; to: number } | undefined {
    const to = Math.max(0, Math.min(n, this.launcher.limit(role)));
    const from = this.want[role];
    this.want[role] = to;
    this.reconcile(role);
    return from === to ? undefined : { from, to };
  }

  private reconcile(role: DeciderRole): void {
    if (this.stopping) return;
    const active = this.replicas(role).filter((r) => r.state !== 'draining');
    for (let k = active.length; k < this.want[role]; k++) this.start(role);
    // Scale-down: replicas not serving yet go first (newest first), then the least busy ready ones.
    const victims = active.sort((a, b) => rank(a) - rank(b)).slice(0, Math.max(0, active.length - this.want[role]));
    for (const r of victims) void this.drain(r);
  }

  private start(role: DeciderRole): void {
    const r = newReplica(`${role}-${this.seq++}`, role, '', Date.now());
    this.all.set(r.id, r);
    const inUse = new Set(this.replicas(role).map((x) => x.url));
    this.launcher.next(role, inUse).then(
      (plan) => {
        r.url = plan.url;
        if (r.state === 'draining') return this.forget(r);
        if (plan.argv) this.spawn(r, plan.argv);
        void this.probe(r);
      },
      (err: unknown) => this.failed(r, `could not start: ${(err as Error).message}`, false),
    );
  }

  private spawn(r: Replica, argv: string[]): void {
    const [cmd, ...args] = argv as [string, ...string[]];
    // stdin stays open as a lifeline: the bundled engine exits when it closes (this process died).
    const proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: process.env });
    r.proc = proc;
    proc.stdout?.on('data', (c: Buffer) => keepTail(r.tail, c));
    proc.stderr?.on('data', (c: Buffer) => keepTail(r.tail, c));
    proc.stdin?.on('error', () => undefined);
    this.exits.set(
      r.id,
      new Promise((resolve) => {
        proc.once('error', (err) => {
          this.failed(r, `${cmd}: ${err.message}`, r.state === 'ready');
          resolve();
        });
        proc.once('exit', (code, signal) => {
          resolve();
          if (r.state === 'draining') return this.forget(r);
          this.failed(
            r,
            `exited with ${signal ?? `code ${code}`}${r.tail.length ? `: ${r.tail[r.tail.length - 1]}` : ''}`,
            r.state === 'ready',
          );
        });
      }),
    );
    this.logger.debug('engine starting', { replica: r.id, pid: proc.pid, url: r.url, command: argv.join(' ') });
  }

  /** Poll /health until 200 (vLLM answers once the model is loaded), bounded by readyTimeoutMs. */
  private async probe(r: Replica): Promise<void> {
    const deadline = Date.now() + this.cfg.readyTimeoutMs;
    while (this.all.get(r.id) === r && r.state === 'starting') {
      if (Date.now() > deadline) {
        r.proc?.kill('SIGKILL');
        return this.failed(r, `not ready within ${this.cfg.readyTimeoutMs} ms`, false);
      }
      if (await healthy(r.url)) {
        if (r.state !== 'starting') return;
        r.state = 'ready';
        r.readyAt = Date.now();
        this.lastColdStartMs[r.role] = r.readyAt - r.createdAt;
        this.startFailures = 0;
        this.logger.debug('engine ready', { replica: r.id, url: r.url, coldStartMs: r.readyAt - r.createdAt });
        this.hooks.onReady?.(r);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** A replica died or never came up: forget it, count start failures, and replace it. */
  private failed(r: Replica, detail: string, wasReady: boolean): void {
    if (this.all.get(r.id) !== r) return;
    this.forget(r);
    if (this.stopping) return;
    this.hooks.onCrash?.(r, detail);
    if (!wasReady && ++this.startFailures >= this.cfg.maxStartFailures) {
      this.hooks.onFatal(
        new Error(`the ${r.role} engine failed to start ${this.startFailures} times in a row; last: ${detail}`),
      );
      return;
    }
    this.reconcile(r.role);
  }

  private forget(r: Replica): void {
    this.all.delete(r.id);
  }

  private async drain(r: Replica): Promise<void> {
    r.state = 'draining';
    const until = Date.now() + this.cfg.drainMs;
    while (r.inflight > 0 && Date.now() < until && !this.stopping)
      await new Promise((resolve) => setTimeout(resolve, 50));
    await this.kill(r);
  }

  private async kill(r: Replica): Promise<void> {
    r.state = 'draining';
    const proc = r.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return this.forget(r);
    proc.kill('SIGTERM');
    const exited = this.exits.get(r.id) ?? Promise.resolve();
    const timer = new Promise<'timeout'>((resolve) =>
      setTimeout(() => resolve('timeout'), this.cfg.stopGraceMs).unref(),
    );
    if ((await Promise.race([exited, timer])) === 'timeout') proc.kill('SIGKILL');
    await exited;
    this.exits.delete(r.id);
    this.forget(r);
  }

  /** Stop every replica (SIGTERM, SIGKILL after the grace) and wait for the processes to exit. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    for (const role of ROLES) this.want[role] = 0;
    await Promise.all(this.replicas().map((r) => this.kill(r)));
  }
}

function rank(r: Replica): number {
  return r.state === 'starting' ? -1e15 - r.createdAt : r.inflight;
}

async function healthy(url: string): Promise<boolean> {
  if (!url) return false;
  try {
    const res = await request(`${url}/health`, {
      method: 'GET',
      signal: AbortSignal.timeout(1_000),
      headersTimeout: 1_000,
      bodyTimeout: 1_000,
    });
    await res.body.dump();
    return res.statusCode === 200;
  } catch {
    return false;
  }
}
