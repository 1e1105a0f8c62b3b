/**
 * Engine-model calibration against published measurements (bench/sim/calibration-points.ts; the table with sources
 * and residuals is in docs/simulator.md "Calibration"). Fit points set one parameter each and must reproduce their
 * value; held-back test points were not used by the fit and must be within 10% — except the one documented gap.
 */
import { CALIBRATION_POINTS, residual } from '../../bench/sim/calibration-points.js';
import { closedLoop } from '../../bench/sim/calibrate.js';
import { kvTransferSeconds, profiledPrefillTokensPerSec, stepSeconds } from '../../model/perf.js';
import { coldStartSeconds, LLAMA3_70B, LLAMA3_8B } from '../../model/presets.js';

/**
 * The documented gap (docs/simulator.md): Dynamo's 8B TP4 prefill point, which the TP2 efficiency fit cannot reach;
 * the model is 26% faster. Asserted as that band so the documentation stays true.
 */
const KNOWN_GAPS: Record<string, [number, number]> = { 'prefill-8b-tp4': [-0.29, -0.23] };

describe('calibration points (Llama-3.1-8B on H100 and the cross-checks)', () => {
  it.each(CALIBRATION_POINTS.filter((p) => p.role === 'fit').map((p) => [p.id, p] as const))(
    'fit point %s is reproduced within 1%',
    (_id, point) => expect(Math.abs(residual(point))).toBeLessThanOrEqual(0.01),
  );

  it.each(CALIBRATION_POINTS.filter((p) => p.role === 'test' && !KNOWN_GAPS[p.id]).map((p) => [p.id, p] as const))(
    'held-back point %s is within 10%',
    (_id, point) => expect(Math.abs(residual(point))).toBeLessThanOrEqual(0.1),
  );

  it.each(Object.entries(KNOWN_GAPS))('documented gap %s stays where the docs put it', (id, [lo, hi]) => {
    const point = CALIBRATION_POINTS.find((p) => p.id === id)!;
    expect(point.role).toBe('test');
    const r = residual(point);
    expect(r).toBeGreaterThanOrEqual(lo);
    expect(r).toBeLessThanOrEqual(hi);
  });

  it('every point names its source and every fit point the parameter it sets', () => {
    for (const p of CALIBRATION_POINTS) {
      expect(p.source.length).toBeGreaterThan(20);
      if (p.role === 'fit') expect(p.sets).toBeTruthy();
    }
    expect(CALIBRATION_POINTS.filter((p) => p.role === 'test').length).toBeGreaterThanOrEqual(3);
  });

  it('more clients than max_num_seqs queue instead of adding throughput', () => {
    const wva = { ...LLAMA3_8B, maxNumSeqs: 64 };
    const sat = closedLoop(wva, { clients: 64, promptTokens: 128, outputTokens: 128, durationS: 20 });
    const over = closedLoop(wva, { clients: 128, promptTokens: 128, outputTokens: 128, durationS: 20 });
    expect(over.requestsPerS).toBeLessThan(sat.requestsPerS * 1.05);
    expect(over.meanTtftS).toBeGreaterThan(10 * sat.meanTtftS);
  });
});

describe('roofline step model (autoscaling.md §7.2–7.3)', () => {
  it('decode is memory-bound: a 2k-context batch of 32 costs more than weights alone, less than 2×', () => {
    const b1 = stepSeconds(LLAMA3_8B, {
      decodeSeqs: 1,
      decodeContext: 2048,
      prefillTokens: 0,
      prefillAttention: 0,
      prefillContext: 0,
      prefillSeqs: 0,
    });
    const b32 = stepSeconds(LLAMA3_8B, {
      decodeSeqs: 32,
      decodeContext: 32 * 2048,
      prefillTokens: 0,
      prefillAttention: 0,
      prefillContext: 0,
      prefillSeqs: 0,
    });
    expect(b32).toBeGreaterThan(b1);
    expect(b32).toBeLessThan(2 * b1);
  });

  it('prefill is compute-bound: 8,192 tokens take ~4× 2,048 tokens and more than 40 ms each 2k', () => {
    const pf = (n: number): number =>
      stepSeconds(LLAMA3_8B, {
        decodeSeqs: 0,
        decodeContext: 0,
        prefillTokens: n,
        prefillAttention: n * (n / 2),
        prefillContext: n,
        prefillSeqs: 1,
      });
    expect(pf(2048)).toBeGreaterThan(0.04);
    expect(pf(8192) / pf(2048)).toBeGreaterThan(3.5);
  });

  it('TP4 splits the compute four ways and pays its all-reduces on top', () => {
    const shape = {
      decodeSeqs: 0,
      decodeContext: 0,
      prefillTokens: 4096,
      prefillAttention: 4096 * 2048,
      prefillContext: 4096,
      prefillSeqs: 1,
    };
    const tp1 = stepSeconds(LLAMA3_8B, shape);
    const tp4 = stepSeconds({ ...LLAMA3_8B, tp: 4 }, shape);
    // TP4 splits the compute four ways but pays 64 all-reduces of 4096 × 4096 × 2 bytes.
    expect(tp4).toBeLessThan(tp1 / 2);
    expect(tp4).toBeGreaterThan(tp1 / 4);
  });

  it('70B TP4 is slower per token than 8B; cold starts and KV transfer scale with bytes', () => {
    expect(profiledPrefillTokensPerSec(LLAMA3_70B, 4096)).toBeLessThan(profiledPrefillTokensPerSec(LLAMA3_8B, 4096));
    expect(coldStartSeconds(LLAMA3_8B)).toBeCloseTo(5 + 16.06 / 2 + 20, 5);
    expect(coldStartSeconds(LLAMA3_70B)).toBeGreaterThan(100);
    expect(kvTransferSeconds(LLAMA3_70B, 10_000)).toBeGreaterThan(kvTransferSeconds(LLAMA3_8B, 10_000));
  });
});
