/**
 * One vLLM engine in virtual time: the V1 scheduler's continuous batching with chunked prefill
 * (`max_num_batched_tokens` per step: running decodes first, then running prefills, then waiting requests
 * FIFO while `max_num_seqs` and KV blocks allow), prefix caching (kv.ts) and recompute preemption of the
 * most recently admitted request when KV runs out. Step times come from perf.ts.
 *
 * Speed: steps with no prefill repeat identically until a sequence finishes, so they are simulated as one
 * "macro" event of k steps (at most 0.25 s of virtual time, so scraped counters are never staler than
 * that); an arrival cuts the macro short at the step in flight, exactly where vLLM would admit it.
 */
import { E2E_BUCKETS, Histogram, ITL_BUCKETS, PROMPT_BUCKETS, TTFT_BUCKETS } from './histogram.js';
import { KvCache, type KvHold } from './kv.js';
import { stepSeconds, type StepShape } from './perf.js';
import type { EnginePreset } from './presets.js';

export interface Clock {
  now(): number;
  at(t: number, run: () => void): void;
}

export interface EngineRequest {
  id: number;
  promptTokens: number;
  /** Tokens this engine generates (1 on a prefill engine: P/D prefill runs with max_tokens=1). */
  outputTokens: number;
  hashIds: readonly number[];
  /** P/D decode side: the prompt's KV arrives from the prefill engine; only the last token is computed. */
  remotePrefilled: boolean;
  onFirstToken?(t: number): void;
  /** Tokens generated at time t (a decode macro step reports its k tokens at its end); lets a live server stream. */
  onTokens?(t: number, n: number): void;
  /** ok=false: the prompt can never fit this engine's KV cache (vLLM rejects it). */
  onDone(t: number, ok: boolean): void;
}

interface Seq {
  req: EngineRequest;
  arrivedAt: number;
  target: number;
  computed: number;
  generated: number;
  ctx: number;
  remote: boolean;
  hold?: KvHold;
  firstAt?: number;
}

interface Step {
  start: number;
  t: number;
  k: number;
  decodes: Seq[];
  chunks: Array<[Seq, number]>;
}

const MACRO_MAX_S = 0.25;

export class Engine {
  readonly kv: KvCache;
  readonly waiting: Seq[] = [];
  readonly running: Seq[] = [];
  readonly ttft = new Histogram(TTFT_BUCKETS);
  readonly itl = new Histogram(ITL_BUCKETS);
  readonly e2e = new Histogram(E2E_BUCKETS);
  readonly promptLength = new Histogram(PROMPT_BUCKETS);
  readonly counters = { promptTokens: 0, generationTokens: 0, requestSuccess: 0, preemptions: 0 };
  /** Requests accepted but still in the front end (c0), not yet in the scheduler. */
  private inFrontEnd = 0;
  private cur?: Step;
  private version = 0;
  busySeconds = 0;
  /** Longest decode macro in seconds; a live server lowers it so streamed tokens leave in small steps. */
  macroMaxS = MACRO_MAX_S;

  constructor(
    readonly id: string,
    readonly preset: EnginePreset,
    private readonly clock: Clock,
  ) {
    this.kv = new KvCache(preset.kvCapacityTokens, preset.blockSize);
  }

  /** Requests on this engine in any state (what a router's in-flight count or KPA concurrency sees). */
  inflight(): number {
    return this.inFrontEnd + this.waiting.length + this.running.length;
  }

  /** Prompt tokens still to prefill, waiting or running (Dynamo's queued prefill tokens). */
  queuedPrefillTokens(): number {
    let n = 0;
    for (const s of this.waiting) n += s.target - s.computed;
    for (const s of this.running) n += s.target - s.computed;
    return n;
  }

  enqueue(req: EngineRequest): void {
    const arrivedAt = this.clock.now();
    this.inFrontEnd++;
    this.clock.at(arrivedAt + this.preset.requestOverheadS, () => {
      this.inFrontEnd--;
      const target = req.promptTokens;
      this.waiting.push({ req, arrivedAt, target, computed: 0, generated: 0, ctx: 0, remote: req.remotePrefilled });
      this.kick();
    });
  }

  private kick(): void {
    const cur = this.cur;
    if (!cur) return this.startStep();
    // A new request joins at the next step boundary: cut a multi-step decode macro at the step in flight.
    if (cur.k > 1) {
      const done = Math.floor((this.clock.now() - cur.start) / cur.t);
      const k = Math.max(1, Math.min(cur.k, done + 1));
      if (k < cur.k) {
        cur.k = k;
        const v = ++this.version;
        this.clock.at(cur.start + k * cur.t, () => this.endStep(v));
      }
    }
  }

  private startStep(): void {
    const p = this.preset;
    this.makeRoomForDecodes();
    let budget = p.maxNumBatchedTokens;
    const decodes = this.running.filter((s) => s.computed >= s.target);
    budget -= decodes.length;
    const chunks: Array<[Seq, number]> = [];
    for (const s of this.running) {
      if (s.computed >= s.target || budget <= 0) continue;
      const n = Math.min(s.target - s.computed, budget);
      chunks.push([s, n]);
      budget -= n;
    }
    while (budget > 0 && this.waiting.length > 0 && this.running.length < p.maxNumSeqs) {
      const s = this.waiting[0] as Seq;
      if (Math.ceil((s.target + 1) / p.blockSize) > this.kv.totalBlocks) {
        this.waiting.shift();
        s.req.onDone(this.clock.now(), false);
        continue;
      }
      if (!this.admit(s)) break;
      this.waiting.shift();
      this.running.push(s);
      const n = Math.min(s.target - s.computed, budget);
      chunks.push([s, n]);
      budget -= n;
    }
    if (decodes.length === 0 && chunks.length === 0) return;
    const k = chunks.length === 0 ? this.macroSteps(decodes) : 1;
    for (const s of decodes) this.kv.grow(s.hold as KvHold, s.ctx + k);
    const t = stepSeconds(p, this.shape(decodes, chunks, k));
    this.cur = { start: this.clock.now(), t, k, decodes, chunks };
    const v = ++this.version;
    this.clock.at(this.clock.now() + k * t, () => this.endStep(v));
  }

  private shape(decodes: Seq[], chunks: Array<[Seq, number]>, k: number): StepShape {
    let decodeContext = 0;
    for (const s of decodes) decodeContext += s.ctx;
    decodeContext += (decodes.length * (k - 1)) / 2;
    const sh: StepShape = {
      decodeSeqs: decodes.length,
      decodeContext,
      prefillTokens: 0,
      prefillAttention: 0,
      prefillContext: 0,
      prefillSeqs: chunks.length,
    };
    for (const [s, n] of chunks) {
      sh.prefillTokens += n;
      sh.prefillAttention += n * (s.computed + n / 2);
      sh.prefillContext += s.computed + n;
    }
    return sh;
  }

  /** Identical decode steps until the first sequence finishes, KV would run out, or MACRO_MAX_S passes. */
  private macroSteps(decodes: Seq[]): number {
    let k = Infinity;
    for (const s of decodes) k = Math.min(k, s.req.outputTokens - s.generated);
    const perSeqBlocks = Math.floor(this.kv.available() / decodes.length);
    k = Math.min(k, Math.max(1, perSeqBlocks * this.preset.blockSize));
    const one = stepSeconds(this.preset, this.shape(decodes, [], 1));
    return Math.max(1, Math.min(k, Math.floor(this.macroMaxS / one)));
  }

  /** vLLM V1 recompute preemption: free the newest running request until every decode can grow a block. */
  private makeRoomForDecodes(): void {
    for (;;) {
      const decoding = this.running.filter((s) => s.computed >= s.target).length;
      if (decoding === 0 || this.kv.available() >= decoding) return;
      const victim = this.running.pop() as Seq;
      this.kv.release(victim.hold as KvHold);
      victim.hold = undefined;
      victim.target = Math.max(victim.ctx, victim.req.promptTokens);
      victim.computed = 0;
      victim.remote = false;
      this.waiting.unshift(victim);
      this.counters.preemptions++;
    }
  }

  private admit(s: Seq): boolean {
    const got = this.kv.admit(s.req.hashIds, s.req.promptTokens, s.target + 1);
    if (!got) return false;
    s.hold = got.hold;
    const floor = s.remote ? s.target - 1 : 0;
    s.computed = Math.min(Math.max(got.cachedTokens, floor), s.target - 1);
    s.ctx = s.computed;
    return true;
  }

  private endStep(v: number): void {
    if (v !== this.version || !this.cur) return;
    const { k, t, decodes, chunks } = this.cur;
    const stepEnd = this.clock.now();
    // Tokens reach their clients after the output processor's loop over the step's sequences (half of it on average).
    const now = stepEnd + (this.preset.outputOverheadPerSeqS * (decodes.length + chunks.length)) / 2;
    this.cur = undefined;
    this.busySeconds += k * t;
    const finished: Seq[] = [];
    if (decodes.length > 0) this.itl.observe(t, k * decodes.length);
    for (const s of decodes) {
      s.generated += k;
      s.ctx += k;
      this.counters.generationTokens += k;
      s.req.onTokens?.(now, k);
      if (s.generated >= s.req.outputTokens) finished.push(s);
    }
    for (const [s, n] of chunks) {
      s.computed += n;
      s.ctx = s.computed;
      if (s.computed < s.target) continue;
      this.kv.register(s.hold as KvHold, s.req.hashIds, s.req.promptTokens);
      s.generated += 1;
      this.counters.generationTokens += 1;
      s.req.onTokens?.(now, 1);
      if (s.firstAt === undefined) {
        s.firstAt = now;
        this.counters.promptTokens += s.req.promptTokens;
        this.ttft.observe(now - s.arrivedAt);
        this.promptLength.observe(s.req.promptTokens);
        s.req.onFirstToken?.(now);
      }
      if (s.generated >= s.req.outputTokens) finished.push(s);
    }
    for (const s of finished) this.finish(s, now);
    this.startStep();
  }

  private finish(s: Seq, now: number): void {
    this.kv.release(s.hold as KvHold);
    const i = this.running.indexOf(s);
    if (i >= 0) this.running.splice(i, 1);
    this.counters.requestSuccess++;
    this.e2e.observe(now - s.arrivedAt);
    s.req.onDone(now, true);
  }
}
