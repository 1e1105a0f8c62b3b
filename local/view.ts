/**
 * The live terminal view: on a TTY, a screen redrawn twice a second — replicas per role, queue, KV use, the
 * decider's last decision and recent events; elsewhere nothing is drawn and the JSON log lines (scaled,
 * engine ready, engine crashed, …) are the record. `renderView` is pure (tested); `TerminalView` does the I/O.
 */
import type { Writable } from 'node:stream';
import type { QueueStats } from './queue.js';

export interface RoleRow {
  role: string;
  min: number;
  max: number;
  desired: number;
  starting: number;
  ready: number;
  draining: number;
  waiting: number;
  running: number;
  /** Mean KV usage over ready replicas, 0..1. */
  kvUsage: number;
  last?: { reason: string; detail: string; atMs: number };
}

export interface ViewSnapshot {
  name: string;
  url: string;
  disaggregated: boolean;
  nowMs: number;
  startedAtMs: number;
  roles: RoleRow[];
  queue: QueueStats & { capacity: number; timeoutMs: number };
  counts: { ok: number; tooMany: number; unavailable: number; other: number };
  recent: string[];
}

const pct = (x: number): string => `${Math.round(x * 100)}%`;
const ago = (ms: number): string =>
  ms < 1000 ? 'now' : ms < 60_000 ? `${Math.round(ms / 1000)}s ago` : `${Math.round(ms / 60_000)}m ago`;

export function renderView(s: ViewSnapshot, width = 100): string[] {
  const up = Math.round((s.nowMs - s.startedAtMs) / 1000);
  const lines = [
    `kserve-llmd local ` +
      `· ${s.name}${s.disaggregated ? ' · prefill/decode' : ''} ` +
      `· ${s.url} · ` +
      `up ${Math.floor(up / 60)}m${String(up % 60).padStart(2, '0')}s ` +
      `· Ctrl-C stops everything`,
    '',
    `${'role'.padEnd(8)}${'ready'.padStart(6)}` +
      `${'start'.padStart(6)}${'drain'.padStart(6)}` +
      `${'want'.padStart(6)}${'range'.padStart(7)}` +
      `${'wait'.padStart(6)}${'run'.padStart(6)}` +
      `${'kv'.padStart(6)} ` +
      ` last decision`,
  ];
  for (const r of s.roles) {
    const last = r.last ? `${r.last.reason} (${ago(s.nowMs - r.last.atMs)}): ${r.last.detail}` : '-';
    lines.push(
      `${r.role.padEnd(8)}${String(r.ready).padStart(6)}` +
        `${String(r.starting).padStart(6)}` +
        `${String(r.draining).padStart(6)}` +
        `${String(r.desired).padStart(6)}` +
        `${`${r.min}-${r.max}`.padStart(7)}` +
        `${String(r.waiting).padStart(6)}` +
        `${String(r.running).padStart(6)}` +
        `${pct(r.kvUsage).padStart(6)}  ${last}`,
    );
  }
  const q = s.queue;
  lines.push(
    '',
    `queue   ${q.queued} waiting (cap ${q.capacity}, ` +
      `timeout ${Math.round(q.timeoutMs / 1000)}s) · ` +
      `released ${q.released} · full ${q.rejectedFull} · timed ` +
      `out ${q.timedOut}`,
  );
  lines.push(
    `answers ${s.counts.ok} ok · ${s.counts.tooMany} × 429 · ${s.counts.unavailable} × 503 · ${s.counts.other} other`,
    '',
    'recent:',
  );
  for (const e of s.recent.slice(-10)) lines.push(`  ${e}`);
  return lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
}

/** A log stream for TTY mode: JSON lines become short "hh:mm:ss msg k=v" entries in the view instead of the screen. */
export class RecentLog {
  readonly lines: string[] = [];

  write(chunk: string): boolean {
    for (const raw of chunk.split('\n')) {
      if (!raw) continue;
      try {
        const { time, level, msg, ...rest } = JSON.parse(raw) as Record<string, unknown>;
        const fields = Object.entries(rest)
          .filter(([k, v]) => k !== 'component' && typeof v !== 'object')
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(' ');
        this.lines.push(
          `${String(time).slice(11, 19)} ${level === 'info' ? '' : `${String(level)} `}${String(msg)} ${fields}`,
        );
      } catch {
        this.lines.push(raw);
      }
      if (this.lines.length > 100) this.lines.shift();
    }
    return true;
  }
}

export class TerminalView {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly out: Pick<Writable, 'write'> & { columns?: number },
    private readonly snapshot: () => ViewSnapshot,
    private readonly everyMs = 500,
  ) {}

  start(): void {
    this.draw();
    this.timer = setInterval(() => this.draw(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.draw();
  }

  private draw(): void {
    // Home + clear screen, then the frame (ANSI; every TTY terminal understands these two).
    this.out.write(`\x1b[H\x1b[2J${renderView(this.snapshot(), this.out.columns ?? 100).join('\n')}\n`);
  }
}
