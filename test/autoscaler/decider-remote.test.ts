/**
 * Decode in prefill/decode disaggregation (issue 6): decode pods count remotely prefilled prompts in
 * vllm:prompt_tokens_total, so the pool's prefill rates (RoleWindows.remotePrefill) are subtracted wherever
 * decode's prompt load stands for its own prefill work. Absent field = exactly the old behaviour.
 */
import { decide, type RoleWindows, type WindowAggregate } from '../../autoscaler/decider/index.js';
import { localPrompts } from '../../autoscaler/decider/load.js';
import { Loop, type LoopOptions } from '../../autoscaler/loop/index.js';
import { withRemotePrefill } from '../../autoscaler/decider/pool.js';
import type { ScaleTarget } from '../../autoscaler/targets.js';
import { specs } from './support/decider.js';
import { agg, win } from './support/windows.js';

const { decode, prefill } = specs(16);

// Mooncake P/D as decode saw it (issue 6): 46k prompt tok/s counted on decode, of which the prefill pods
// prefilled 44k (12k-token prompts, 3.3 of 3.5 req/s); KV and queue are quiet, ITL fine.
const counted: Partial<WindowAggregate> = {
  promptTokensRate: 46_000,
  arrivalRate: 3.5,
  running: 10,
  kvUsage: 0.06,
  promptBacklogTokens: 2000,
  prefillTokensPerSecPerReplica: 28_000,
};
const remote = { promptTokensRate: 44_000, requestRate: 3.3 };
// No scale-down delay or rate limit: one decision shows the level the rules keep.
const pdSpec = decode({ scaleDownDelayMs: 0, maxScaleDownRate: 100, capacity: { prefillTokensPerSec: 28_000 } });

describe('decider: local prompts of a decode window', () => {
  it.each([
    // [name, window, remote, expected local: tok/s, arrivals, backlog tokens, share]
    [
      'no remote prefill: the window itself',
      { promptTokensRate: 46_000, arrivalRate: 3.5, promptBacklogTokens: 4000 },
      undefined,
      [46_000, 3.5, 4000, 1],
    ],
    [
      'remote prompts subtracted, backlog scaled by the local share',
      { promptTokensRate: 40_000, arrivalRate: 4, promptBacklogTokens: 8000 },
      { promptTokensRate: 30_000, requestRate: 3 },
      [10_000, 1, 2000, 0.25],
    ],
    [
      'prefill counted more (a KV transfer apart): clamped at 0',
      { promptTokensRate: 20_000, arrivalRate: 2, promptBacklogTokens: 1000 },
      { promptTokensRate: 25_000, requestRate: 2.5 },
      [0, 0, 0, 0],
    ],
    [
      'nothing counted on decode: share 1',
      { promptTokensRate: 0, arrivalRate: 0, promptBacklogTokens: 0 },
      { promptTokensRate: 5000, requestRate: 1 },
      [0, 0, 0, 1],
    ],
  ] as const)('%s', (_n, w, r, [tokens, arrivals, backlog, share]) => {
    const l = localPrompts(agg(w), r);
    expect(l.window.promptTokensRate).toBeCloseTo(tokens);
    expect(l.window.arrivalRate).toBeCloseTo(arrivals);
    expect(l.window.promptBacklogTokens).toBeCloseTo(backlog);
    expect(l.share).toBeCloseTo(share);
  });
});

describe('decider: decode with remote prefill', () => {
  it(
    'without the field the counted prompts hold 9 of 13 ' +
      'replicas; with it decode consolidates to what its KV needs',
    () => {
      const without = decide(pdSpec, win(13, counted), 0);
      const withRemote = decide(pdSpec, win(13, counted, { remotePrefill: remote }), 0);
      // 46k tok/s ÷ (28k × 0.2 planned for 13k-token prompts) → 9.
      expect(without).toMatchObject({ desired: 9, reason: 'consolidate' });
      expect(without.signals.remotePrefillTokensRate).toBeUndefined();
      // kv 0.06 × 13 = 0.78 replica-equivalents at 0.8 × 0.8 headroom → 2 (the 2k tok/s decode prefills itself need 1).
      expect(withRemote).toMatchObject({ desired: 2, reason: 'consolidate' });
      expect(withRemote.signals.remotePrefillTokensRate).toBe(44_000);
    },
  );

  it('local prompts still keep headroom: 20k tok/s of 12k-token prompts prefilled on decode hold 4', () => {
    const d = decide(pdSpec, win(13, counted, { remotePrefill: { promptTokensRate: 26_000, requestRate: 1.8 } }), 0);
    expect(d.desired).toBe(4);
  });

  it('a measured decode throughput inflated by remote prompts is scaled to the local share', () => {
    // Busy decode pods "processed" 80k tok/s each, three quarters of it prompts prefill had done.
    const busy = { ...counted, promptTokensRate: 40_000, prefillTokensPerSecPerReplica: 80_000 };
    const inflated = decide(pdSpec, win(4, busy), 0);
    const scaled = decide(pdSpec, win(4, busy, { remotePrefill: { promptTokensRate: 30_000, requestRate: 2.5 } }), 0);
    expect(inflated.signals.measuredPrefillTokensPerSec).toBe(80_000);
    expect(scaled.signals.measuredPrefillTokensPerSec).toBe(20_000);
  });

  it('a queue of remotely prefilled requests is transient: decode does not size for their prompts', () => {
    const stable = { ...counted, waiting: 40, running: 20, promptBacklogTokens: 1_200_000, kvUsage: 0.5 };
    const w = win(1, stable, { panicAgg: { ...stable, promptBacklogTokens: 470_000 } });
    // Without the field decode reads as aggregated serving, every counted prompt its own prefill work: 46k tok/s
    // at 28k tok/s per replica, planned at 0.2 ÷ 0.8 utilization → 7.
    expect(decide(pdSpec, w, 0)).toMatchObject({ reason: 'prompt-backlog', desired: 7 });
    // 1k of the 46k tok/s are decode's own: 26k tokens, under a second.
    expect(decide(pdSpec, { ...w, remotePrefill: { promptTokensRate: 45_000, requestRate: 3.4 } }, 0).desired).toBe(1);
  });

  it('prefill ignores the field', () => {
    const w = win(3, { promptTokensRate: 30_000, arrivalRate: 3, running: 3 });
    const a = decide(prefill(), w, 0);
    const b = decide(prefill(), { ...w, remotePrefill: remote }, 0);
    expect({ ...b, state: undefined }).toEqual({ ...a, state: undefined });
    expect(b.state).toEqual(a.state);
  });
});

describe('decider: consolidation needs both windows', () => {
  // Mooncake P/D (issue 6): with remote prompts subtracted decode is sized by KV; one replica's KV jumps to
  // 0.8–0.99 when long prompts land together while the 60 s mean stays at 0.4.
  const quiet = { ...counted, kvUsage: 0.1 };
  it.each([
    // [name, panic window, expected desired]
    // kv 0.1 × 13 = 1.3 replica-equivalents at 0.8 × 0.8 headroom → 3.
    ['a quiet last 6 s: consolidate to what the minute needs', { kvUsage: 0.1 }, 3],
    ['a KV spike in the last 6 s: keep what the spike needs', { kvUsage: 0.5 }, 11],
    ['a queue in the last 6 s (KV at the minute mean): no consolidation', { kvUsage: 0.1, waiting: 6 }, 13],
  ] as const)('%s', (_n, panic, desired) => {
    const d = decide(pdSpec, win(13, quiet, { remotePrefill: remote, panicAgg: { ...quiet, ...panic } }), 0);
    expect(d.desired).toBe(desired);
  });
});

describe('loop: decode sees its pool prefill', () => {
  const prefillWin = win(5, { promptTokensRate: 44_000, arrivalRate: 3.3, running: 5 });

  it.each([
    // [name, prefill windows, pool decode windows, expected remotePrefill]
    ['one decode: the prefill role’s stable rates', [prefillWin], undefined, remote],
    [
      'two prefill targets are summed',
      [prefillWin, prefillWin],
      undefined,
      { promptTokensRate: 88_000, requestRate: 6.6 },
    ],
    [
      'two decode targets split it by their counted prompts',
      [prefillWin],
      [win(1, { promptTokensRate: 46_000 }), win(1, { promptTokensRate: 138_000 })],
      { promptTokensRate: 8800, requestRate: 0.66 },
    ],
    ['prefill at zero (no data): absent', [win(0, { samples: 0 })], undefined, undefined],
    ['no prefill target (aggregated): absent', [], undefined, undefined],
  ] as const)('%s', (_n, ps, pool, expected) => {
    const d = win(13, counted);
    const out = withRemotePrefill(d, [...ps], pool ? [d, ...pool] : undefined);
    if (expected === undefined) expect(out).toBe(d);
    else {
      expect(out.remotePrefill?.promptTokensRate).toBeCloseTo(expected.promptTokensRate);
      expect(out.remotePrefill?.requestRate).toBeCloseTo(expected.requestRate);
    }
  });

  // decideAll reads nothing but its arguments and the decider states: every other dependency fails loudly.
  const unused = new Proxy(
    {},
    {
      get: (_t, p) => {
        throw new Error(`decideAll must not use ${String(p)}`);
      },
    },
  );
  const loop = (): Loop =>
    new Loop({
      view: unused,
      collector: unused,
      demand: unused,
      actuator: unused,
      logger: unused,
      tickMs: 2000,
      stableWindowMs: 60_000,
      panicWindowMs: 6000,
      defaultPromptTokens: 2048,
    } as unknown as LoopOptions);
  const target = (pool: string, role: 'decode' | 'prefill'): ScaleTarget => ({
    key: `ns/${pool}-${role}`,
    namespace: 'ns',
    name: `${pool}-${role}`,
    role,
    poolKey: `ns/${pool}`,
    pool,
    deployment: `${pool}-${role}`,
    podSelector: {},
    spec: role === 'decode' ? pdSpec : prefill(),
    problems: [],
  });

  it('decideAll feeds decode its pool’s prefill rates; an aggregated pool decides exactly as before', () => {
    const targets = [target('pd', 'prefill'), target('pd', 'decode'), target('agg', 'decode')];
    const windows = new Map<string, RoleWindows>([
      ['ns/pd-prefill', prefillWin],
      ['ns/pd-decode', win(13, counted)],
      ['ns/agg-decode', win(13, counted)],
    ]);
    const l = loop();
    // A loop meeting a fleet of 13 starts in Knative's panic mode and holds 13 for a stable window.
    const first = l.decideAll(targets, windows, 0);
    expect(first.get('ns/pd-decode')).toMatchObject({ reason: 'panic-hold', desired: 13 });
    const out = l.decideAll(targets, windows, 61_000);
    const pd = out.get('ns/pd-decode');
    expect(pd?.signals.remotePrefillTokensRate).toBe(44_000);
    expect(pd?.desired).toBe(2);
    // The aggregated pool gets nothing from another pool's prefill: the plain decider's decision.
    expect(out.get('ns/agg-decode')).toEqual(
      decide(pdSpec, win(13, counted), 61_000, first.get('ns/agg-decode')?.state),
    );
    expect(out.get('ns/agg-decode')?.desired).toBe(9);
    // Prefill is decided after decode, with it as its peer, as before.
    expect(out.get('ns/pd-prefill')?.desired).toBeGreaterThan(0);
  });
});
