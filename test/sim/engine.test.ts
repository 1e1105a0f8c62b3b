/** Prefix caching, KV accounting and preemption in the engine model, and its /metrics page. */
import { vllmSnapshot } from '../../autoscaler/metrics/vllm-signals.js';
import { SimClock } from '../../bench/sim/clock.js';
import { Engine, type EngineRequest } from '../../model/engine.js';
import { KvCache } from '../../model/kv.js';
import { LLAMA3_8B } from '../../model/presets.js';
import { renderVllmMetrics } from '../../model/prom.js';

function request(
  id: number,
  promptTokens: number,
  hashIds: number[],
  outputTokens = 8,
): EngineRequest & { first: number; done: number; ok?: boolean } {
  const r = {
    id,
    promptTokens,
    outputTokens,
    hashIds,
    remotePrefilled: false,
    first: NaN,
    done: NaN,
    ok: undefined as boolean | undefined,
    onFirstToken: (t: number) => (r.first = t),
    onDone: (t: number, ok: boolean) => {
      r.done = t;
      r.ok = ok;
    },
  };
  return r;
}

const blocks = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('KvCache (vLLM prefix caching at 512-token hash blocks)', () => {
  it('matches only leading full blocks and counts hits', () => {
    const kv = new KvCache(100_000, 16);
    const a = kv.admit(blocks(0, 4), 2048, 2049);
    expect(a?.cachedTokens).toBe(0);
    kv.register(a!.hold, blocks(0, 4), 2048);
    kv.release(a!.hold);
    expect(kv.usage()).toBe(0); // cached but unreferenced blocks are free in vLLM's accounting
    expect(kv.matchPrefix([0, 1, 99, 3], 2048)).toBe(2);
    const b = kv.admit([0, 1, 2, 7], 2048, 2049);
    expect(b?.cachedTokens).toBe(3 * 512);
    expect(kv.hits).toBe(3 * 512);
    expect(kv.queries).toBe(2 * 2048);
  });

  it('a partial last block is never cached', () => {
    const kv = new KvCache(100_000, 16);
    const a = kv.admit([5, 6], 700, 701)!;
    kv.register(a.hold, [5, 6], 700);
    kv.release(a.hold);
    expect(kv.matchPrefix([5, 6], 700)).toBe(1);
  });

  it('evicts least recently used entries when space is needed, never referenced ones', () => {
    const kv = new KvCache(4 * 512, 16); // room for 4 hash blocks
    const a = kv.admit(blocks(0, 2), 1024, 1024)!;
    kv.register(a.hold, blocks(0, 2), 1024);
    kv.release(a.hold);
    const b = kv.admit(blocks(10, 2), 1024, 1024)!;
    kv.register(b.hold, blocks(10, 2), 1024);
    // a's blocks are evictable; c needs the other half of the pool: a's entries go, b's (referenced) stay.
    const c = kv.admit(blocks(20, 2), 1024, 1024);
    expect(c).toBeDefined();
    expect(kv.matchPrefix(blocks(0, 2), 1024)).toBe(0);
    expect(kv.matchPrefix(blocks(10, 2), 1024)).toBe(2);
    expect(kv.admit(blocks(30, 4), 2048, 2048)).toBeUndefined();
  });
});

describe('Engine', () => {
  it('a repeated prompt prefix is served from cache: second TTFT is much shorter', () => {
    const clock = new SimClock();
    const e = new Engine('e', LLAMA3_8B, clock);
    const first = request(1, 16_384, blocks(0, 32));
    e.enqueue(first);
    clock.runUntil(Infinity);
    const second = request(2, 16_384, [...blocks(0, 31), 999]);
    clock.at(clock.now() + 1, () => e.enqueue(second));
    const start = clock.now() + 1;
    clock.runUntil(Infinity);
    const ttft1 = first.first;
    const ttft2 = second.first - start;
    expect(ttft2).toBeLessThan(ttft1 / 4);
    expect(e.kv.hits).toBe(31 * 512);
  });

  it('preempts (recompute) when KV runs out and still finishes every request', () => {
    const clock = new SimClock();
    const small = { ...LLAMA3_8B, kvCapacityTokens: 20_000 };
    const e = new Engine('e', small, clock);
    const reqs = Array.from({ length: 6 }, (_, i) => request(i, 3000, [], 1500));
    reqs.forEach((r) => e.enqueue(r));
    clock.runUntil(Infinity);
    expect(reqs.every((r) => r.ok === true)).toBe(true);
    expect(e.counters.preemptions).toBeGreaterThan(0);
    expect(e.kv.usage()).toBe(0);
  });

  it('rejects a prompt larger than the whole KV cache instead of blocking the queue', () => {
    const clock = new SimClock();
    const e = new Engine('e', { ...LLAMA3_8B, kvCapacityTokens: 10_000 }, clock);
    const big = request(1, 50_000, []);
    const ok = request(2, 100, []);
    e.enqueue(big);
    e.enqueue(ok);
    clock.runUntil(Infinity);
    expect(big.ok).toBe(false);
    expect(ok.ok).toBe(true);
  });

  it('renders a /metrics page the autoscaler parser reads back with the engine state', () => {
    const clock = new SimClock();
    const e = new Engine('e', LLAMA3_8B, clock);
    for (let i = 0; i < 40; i++) e.enqueue(request(i, 4000, blocks(i * 100, 8), 200));
    clock.runUntil(2);
    const snap = vllmSnapshot(renderVllmMetrics(e));
    expect(snap.waiting).toBe(e.waiting.length);
    expect(snap.running).toBe(e.running.length);
    expect(snap.running).toBeGreaterThan(0);
    expect(snap.kvUsage).toBeCloseTo(e.kv.usage(), 6);
    expect(snap.generationTokens).toBe(e.counters.generationTokens);
    expect(snap.promptTokens).toBe(e.counters.promptTokens);
    expect(snap.cacheConfig).toEqual({ blockSize: 16, numGpuBlocks: e.kv.totalBlocks });
    expect(snap.ttft?.count).toBe(e.ttft.count);
    expect(snap.itl?.count).toBeGreaterThan(0);
  });
});
