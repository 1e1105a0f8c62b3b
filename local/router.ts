/**
 * The router over live engines: the simulator's llm-d scorers (model/router.ts: prefix-cache ×3, queue ×2,
 * kv-cache-utilization ×2, max-score picker with random tie-break; llm-d.md §2) fed with what each replica's
 * vLLM /metrics says, re-read every `refreshMs` like the EPP's metrics refresh. The prefix index is the
 * router's own approximation, updated with the blocks of every request it sends (PreRequest). P/D: decode is
 * picked first; a prefill replica is added when the prompt's part not cached on that decode replica is long
 * (prefix-based-pd-decider nonCachedTokens, llm-d.md §3).
 */
import { Collector } from '../autoscaler/collector/index.js';
import { createRng, type Rng } from '../model/rng.js';
import { llmdScoresOf, pickMaxScore, wantsRemotePrefill } from '../model/router.js';
import type { Replica } from './replica.js';
import type { LocalService } from './service.js';
import type { PromptShape } from './tokens.js';

export class LocalRouter {
  private rr = 0;

  constructor(
    private readonly service: LocalService,
    private readonly rng: Rng = createRng(Date.now()),
  ) {}

  /**
   * Choose among ready replicas of one role. The caller records the request's blocks in the chosen replica's
   * index (`r.prefix.add`) after the P/D decision has read the decode replica's match, as the EPP's PreRequest does.
   */
  pick(shape: PromptShape, replicas: readonly Replica[]): Replica {
    if (replicas.length === 1) return replicas[0] as Replica;
    // routing "none": what a plain Kubernetes Service does.
    if (this.service.routing === 'none') return replicas[this.rr++ % replicas.length] as Replica;
    const views = replicas.map((r) => ({
      waiting: (r.metrics?.waiting ?? 0) + pendingSinceScrape(r),
      kvUsage: r.metrics?.kvUsage ?? 0,
      prefix: r.prefix,
    }));
    const scores = llmdScoresOf(shape, views);
    // load-aware: the same picker without the prefix scorer.
    const totals = scores.map((s) => (this.service.routing === 'load-aware' ? s.total - 3 * s.prefix : s.total));
    return replicas[pickMaxScore(totals, this.rng)] as Replica;
  }

  /**
   * Whether to prefill on a prefill replica, judged against the chosen decode replica's cache (before its index is
   * updated).
   */
  wantsRemotePrefill(shape: PromptShape, decode: Replica): boolean {
    return this.service.disaggregated && wantsRemotePrefill(shape, decode, this.service.pdThresholdTokens);
  }
}

/**
 * Requests sent since the last scrape that the scrape cannot show yet: the EPP's in-flight accounting does the
 * same between 50 ms refreshes; without it a burst lands on one replica.
 */
function pendingSinceScrape(r: Replica): number {
  const running = r.metrics ? r.metrics.running + r.metrics.waiting : 0;
  return Math.max(0, r.inflight - running);
}

/** Re-reads ready replicas' /metrics for routing (a Collector of its own: the autoscaler loop keeps separate rates). */
export class MetricsRefresher {
  private readonly collector = new Collector({
    concurrency: 32,
    timeoutMs: 1_000,
    maxBodyBytes: 4 * 2 ** 20,
    keepAliveMs: 30_000,
  });
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly replicas: () => Replica[],
    private readonly intervalMs: number,
  ) {}

  start(): void {
    const run = (): void => {
      this.running = this.refresh().finally(() => {
        if (this.timer !== undefined) this.timer = setTimeout(run, this.intervalMs);
      });
    };
    this.timer = setTimeout(run, 0);
  }

  async refresh(): Promise<void> {
    const ready = this.replicas().filter((r) => r.state === 'ready');
    const results = await this.collector.scrape(ready.map((r) => ({ key: r.id, url: `${r.url}/metrics` })));
    results.forEach((res, i) => {
      const r = ready[i] as Replica;
      if (res.ok)
        r.metrics = {
          waiting: res.observation.snap.waiting,
          running: res.observation.snap.running,
          kvUsage: res.observation.snap.kvUsage,
          atMs: res.observation.atMs,
        };
    });
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    await this.collector.close();
  }
}
