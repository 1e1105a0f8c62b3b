/**
 * P/D wake order in the benchmark (issue 12 item 4): the "ours" adapter drives the real decider through
 * decidePool, so on a wake from zero the simulated fleet has a Ready decode pod before any prefill pod is Ready
 * (at llm-d-router v0.9.0 the EPP releases held requests to the first Ready pod of either role, and a request
 * with no Ready decode pod fails; the decider side is in test/autoscaler/decider-wake-order.test.ts).
 */
import { runCluster } from '../../bench/sim/cluster.js';
import { oursPolicy } from '../../bench/sim/policies/ours.js';
import type { PolicyContext } from '../../bench/sim/policies/types.js';
import { LLAMA3_8B } from '../../model/presets.js';
import type { TraceRequest } from '../../bench/sim/traffic/types.js';

describe('benchmark: ours wakes a P/D fleet decode first', () => {
  it('from zero, the first prefill pod is Ready only after a decode pod is', () => {
    // 8k-token prompts (no shared prefix) every 2 s for 3 minutes, arriving at a fleet at zero.
    const requests: TraceRequest[] = Array.from({ length: 90 }, (_, i) => ({
      arrival: 1 + 2 * i,
      promptTokens: 8192,
      outputTokens: 64,
      hashIds: Array.from({ length: 16 }, (_, k) => i * 16 + k),
    }));
    const ctx: PolicyContext = {
      preset: LLAMA3_8B,
      slo: { ttftMs: 2000, itlMs: 100 },
      disaggregated: true,
      maxReplicas: 4,
      coldStartS: 33,
      scaleToZeroAfterS: 300,
      initial: { decode: 0, prefill: 0 },
    };
    const r = runCluster({
      preset: LLAMA3_8B,
      requests,
      horizonS: 240,
      policy: oursPolicy(ctx),
      router: 'llm-d',
      disaggregated: true,
      pdThresholdTokens: 2048,
      seed: 1,
      initial: ctx.initial,
      coldStartS: ctx.coldStartS,
      maxReplicas: ctx.maxReplicas,
      sampleS: 1,
    });
    const decodeReadyAt = r.samples.find((s) => s.decodeReady > 0)?.t;
    const prefillReadyAt = r.samples.find((s) => s.prefillReady > 0)?.t;
    // Prefill does wake for these prompts (the check is not vacuous), one cold start after decode at the earliest.
    expect(decodeReadyAt).toBeDefined();
    expect(prefillReadyAt).toBeDefined();
    expect(prefillReadyAt as number).toBeGreaterThanOrEqual((decodeReadyAt as number) + ctx.coldStartS);
    expect(r.outcomes.every((o) => o.ok)).toBe(true);
  });
});
