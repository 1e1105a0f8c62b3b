/**
 * Decider memories added against the trace benchmark (issue 6): the predictive wake before a regularly
 * recurring demand episode (episodes.ts), the measured cold start, and the peak hold for bursts that recur
 * faster than a cold start (peak.ts).
 */
import {
  decide,
  deciderSpec,
  type Decision,
  type DeciderSpec,
  type DeciderState,
  type RoleWindows,
} from '../../autoscaler/decider/index.js';
import { predictNextStart } from '../../autoscaler/decider/episodes.js';
import { atZero, win } from './support/windows.js';

const decode = (o: Parameters<typeof deciderSpec>[1] = {}): DeciderSpec =>
  deciderSpec('decode', { minReplicas: 0, maxReplicas: 16, scaleDownDelayMs: 30_000, ...o });

/**
 * Drive the decider every `tickS` over [0, endS): pods become Ready `coldS` after they are asked for; the role
 * serves light traffic while `busy(t)` (a request queued at the activator while at zero), idles otherwise.
 */
interface DriveOptions {
  tickS?: number;
  coldS?: number;
  serving?: (t: number, ready: number) => RoleWindows;
}

// Complexity over the lint limit on purpose: a test driver (one simulated tick loop with its optional knobs);
// splitting it would hide the scenario the tests read.
function drive(
  spec: DeciderSpec,
  busy: (t: number) => boolean,
  endS: number,
  o: DriveOptions = {},
): Array<{ t: number; d: Decision }> {
  const { tickS = 5, coldS = 30, serving } = o;
  const out: Array<{ t: number; d: Decision }> = [];
  let state: DeciderState | undefined;
  let ready = 1;
  const asked: Array<{ at: number; n: number }> = [];
  for (let t = 0; t < endS; t += tickS) {
    const desired = state?.desired ?? 1;
    while (asked.length > 0 && t - (asked[0] as { at: number }).at >= coldS)
      ready = Math.min(desired, ready + (asked.shift() as { n: number }).n);
    if (desired < ready) ready = desired;
    const starting = Math.max(0, desired - ready);
    const b = busy(t);
    const w: RoleWindows =
      ready === 0 && starting === 0
        ? atZero(b ? 1 : 0, b ? 500 : 0)
        : {
            ...(serving ? serving(t, ready) : win(ready, b ? { running: 2, arrivalRate: 1, kvUsage: 0.1 } : {})),
            startingPods: starting,
          };
    const d = decide(spec, w, t * 1000, state);
    if (d.desired > ready + starting) asked.push({ at: t, n: d.desired - ready - starting });
    state = d.state;
    out.push({ t, d });
  }
  return out;
}

/** Demand for `onS` seconds at each of the given start times. */
const episodes =
  (starts: number[], onS = 60) =>
  (t: number): boolean =>
    starts.some((s) => t >= s && t < s + onS);

describe('decider: demand episodes predict the next one', () => {
  it.each([
    // [name, starts (s), predicted next start (s) or null]
    ['three starts 900 s apart predict the fourth', [0, 900, 1800], 2700],
    ['within ±20% of the mean gap still regular', [0, 1000, 1850, 2800], 3733],
    ['one gap is not a pattern', [0, 900], null],
    ['a gap 50% off the others is irregular', [0, 900, 1800, 3150], null],
    ['irregular gaps (600, 1500)', [0, 600, 2100], null],
  ] as const)('%s', (_n, starts, next) => {
    const p = predictNextStart(
      starts.map((s) => [s * 1000, s * 1000 + 60_000]),
      0.2,
    );
    if (next === null) expect(p).toBeNull();
    else expect(Math.round((p?.atMs ?? 0) / 1000)).toBe(next);
  });
});

describe('decider: predictive wake from zero', () => {
  const regular = episodes([0, 900, 1800, 2700]);
  const wakes = (run: Array<{ t: number; d: Decision }>, reason: string): number[] =>
    run.filter((x, i) => x.d.reason === reason && run[i - 1]?.d.reason !== reason).map((x) => x.t);

  it('wakes one replica a cold start and a margin before the 4th regular episode, not before the 3rd', () => {
    const run = drive(decode({ scaleToZeroAfterMs: 300_000 }), regular, 3000);
    const at = wakes(run, 'predictive-wake');
    expect(at).toHaveLength(1);
    // Cold start measured on the wakes: 30 s; lead = 30 × 1.25 = 37.5 s → the tick at 2665 s.
    expect(at[0]).toBeGreaterThanOrEqual(2700 - 45);
    expect(at[0]).toBeLessThan(2700 - 30);
    expect(run.find((x) => x.t === at[0])?.d.desired).toBe(1);
    // The replica is Ready when the episode starts: no 'wake' from zero at 2700 s.
    expect(run.find((x) => x.t === 2700)?.d.desired).toBeGreaterThan(0);
    expect(run.find((x) => x.t === 2700)?.d.reason).not.toBe('wake');
    expect(run.at(-1)?.d.state.coldStart?.ms).toBe(30_000);
  });

  it('goes back to zero when the predicted episode does not come, and stops predicting', () => {
    const run = drive(decode({ scaleToZeroAfterMs: 300_000 }), episodes([0, 900, 1800]), 5000);
    expect(wakes(run, 'predictive-wake')).toHaveLength(1);
    const missed = run.filter((x) => x.d.reason === 'predictive-wake-missed');
    expect(missed).toHaveLength(1);
    expect(missed[0]?.d.desired).toBe(0);
    // Bounded: back at zero within one cold start (30 s) and a tick of the predicted 2700 s.
    expect(missed[0]?.t).toBeLessThanOrEqual(2700 + 35);
    expect(run.filter((x) => x.t > (missed[0]?.t ?? 0)).every((x) => x.d.desired === 0)).toBe(true);
  });

  it.each([
    // [name, spec overrides]
    ['minReplicas 1 (never at zero)', { minReplicas: 1 }],
    ['scale to zero disabled', { scaleToZeroEnabled: false }],
    ['predictive off', { predictive: false }],
  ] as const)('never pre-wakes with %s', (_n, o) => {
    const run = drive(decode({ scaleToZeroAfterMs: 300_000, ...o }), regular, 3000);
    expect(run.some((x) => x.d.reason === 'predictive-wake')).toBe(false);
  });

  it('irregular traffic: exactly the decisions of a decider without the rule', () => {
    const irregular = episodes([0, 600, 2100, 2600, 4300]);
    const withRule = drive(decode({ scaleToZeroAfterMs: 300_000 }), irregular, 5000);
    const without = drive(decode({ scaleToZeroAfterMs: 300_000, predictive: false }), irregular, 5000);
    expect(withRule.map((x) => [x.d.desired, x.d.reason])).toEqual(without.map((x) => [x.d.desired, x.d.reason]));
    expect(withRule.some((x) => x.d.reason === 'wake')).toBe(true);
  });
});

describe('decider: peak hold when bursts recur faster than a cold start', () => {
  // 32 requests in a growing queue; 8 run per replica: the queue rule asks for 4 replicas while only 1 is Ready.
  const burst = (ready: number): RoleWindows => {
    const running = Math.min(32, 8 * ready);
    const x = {
      running,
      waiting: 32 - running,
      promptBacklogTokens: (32 - running) * 1000,
      arrivalRate: 5,
      kvUsage: 0.3,
    };
    return win(ready, x, { panicAgg: { ...x, promptBacklogTokens: 2 * x.promptBacklogTokens } });
  };
  const quiet = (ready: number): RoleWindows => win(ready, { running: 1, arrivalRate: 0.2, kvUsage: 0.01 });

  // 6-second bursts; new pods Ready 30 s after they are asked for (so the bursts are over before they are).
  const burstsAt = (spec: DeciderSpec, bursts: number[], endS: number): Array<{ t: number; d: Decision }> =>
    drive(spec, () => true, endS, {
      tickS: 2,
      coldS: 30,
      serving: (t, ready) => (bursts.some((b) => t >= b && t < b + 6) ? burst(ready) : quiet(ready)),
    });
  const desiredAt = (run: Array<{ t: number; d: Decision }>, t: number): number | undefined =>
    run.find((x) => x.t === t)?.d.desired;

  it.each([
    // [name, bursts (s), peakHoldColdStarts, desired at 250 s, any peak-hold]
    ['one burst: consolidates as before (no regret, no hold)', [0], 6, 1, false],
    ['a burst 150 s after the fleet shrank engages the hold at its peak', [0, 150], 6, 4, true],
    ['the same with the rule off (k = 0) shrinks again', [0, 150], 0, 1, false],
  ] as const)('%s', (_n, bursts, k, at250, held) => {
    const run = burstsAt(decode({ targets: { peakHoldColdStarts: k } }), [...bursts], 600);
    expect(desiredAt(run, 4)).toBe(4);
    expect(desiredAt(run, 250)).toBe(at250);
    expect(run.some((x) => x.d.reason === 'peak-hold')).toBe(held);
  });

  it('the hold lapses k cold starts after the last burst (k = 6, 33 s: ≈ 198 s) and the fleet consolidates', () => {
    const run = burstsAt(decode(), [0, 150], 700);
    expect(desiredAt(run, 330)).toBe(4);
    expect(desiredAt(run, 698)).toBe(1);
  });
});

describe('decider: a surge renews the hold at the level its arrival rate needs', () => {
  const burst = (ready: number): RoleWindows => {
    const running = Math.min(32, 8 * ready);
    const x = {
      running,
      waiting: 32 - running,
      promptBacklogTokens: (32 - running) * 1000,
      arrivalRate: 5,
      kvUsage: 0.3,
    };
    return win(ready, x, { panicAgg: { ...x, promptBacklogTokens: 2 * x.promptBacklogTokens } });
  };
  // A surge on the held fleet: the panic window's arrivals at 5× the stable window's; no queue (the fleet is big).
  const surge =
    (rate: number) =>
    (ready: number): RoleWindows =>
      win(
        ready,
        { running: 1, arrivalRate: rate / 5, kvUsage: 0.01 },
        { panicAgg: { running: 1, arrivalRate: rate, kvUsage: 0.01 } },
      );
  const quiet = (ready: number): RoleWindows => win(ready, { running: 1, arrivalRate: 0.2, kvUsage: 0.01 });

  it.each([
    // [name, surge arrival rate at 320 s (the peak of 4 replicas was measured at 5 req/s), desired at 480 s]
    ['a surge as large as the peak keeps the peak', 5, 4],
    ['a trickle surge (1 req/s) does not latch the peak', 1, 1],
  ] as const)('%s', (_n, rate, at480) => {
    const windows = (t: number, ready: number): RoleWindows => {
      if ([0, 150].some((b) => t >= b && t < b + 6)) return burst(ready);
      return t >= 320 && t < 326 ? surge(rate)(ready) : quiet(ready);
    };
    const run = drive(decode(), () => true, 520, { tickS: 2, coldS: 30, serving: windows });
    expect(run.find((x) => x.t === 300)?.d.desired).toBe(4); // held after the second burst
    expect(run.find((x) => x.t === 480)?.d.desired).toBe(at480);
  });
});

describe('decider: peak hold on both roles', () => {
  // Two prompt surges 200 s apart with 30 s cold starts: the pattern that engages the hold (prefill too, now
  // that it plans as one pooled queue, load.ts pooledPromptReplicas).
  const surges = (t: number): boolean => t < 70 || (t >= 200 && t < 270);
  const prompts = (t: number, ready: number): RoleWindows =>
    win(
      ready,
      { promptTokensRate: surges(t) ? 60_000 : 2_000, arrivalRate: surges(t) ? 30 : 1, running: 1 },
      { peer: { desired: 1, ready: 1 } },
    );

  it.each([
    // [role, expect a peak hold]
    ['prefill', true],
    ['decode', true],
  ] as const)('%s', (role, held) => {
    // Decode sees the same surges as queue pressure; prefill as prompt tokens/s.
    const decodeLoad = (t: number, ready: number): RoleWindows =>
      surges(t)
        ? win(
            ready,
            {
              running: Math.min(32, 8 * ready),
              waiting: 32 - Math.min(32, 8 * ready),
              promptBacklogTokens: 32_000,
              arrivalRate: 5,
              kvUsage: 0.3,
            },
            {
              panicAgg: {
                running: Math.min(32, 8 * ready),
                waiting: 32 - Math.min(32, 8 * ready),
                promptBacklogTokens: 64_000,
                arrivalRate: 5,
                kvUsage: 0.3,
              },
            },
          )
        : win(ready, { running: 1, arrivalRate: 0.2, kvUsage: 0.01 });
    // Decode with prefill's 30 s scale-down delay: its 300 s default alone would hold through the 200 s gap.
    const spec = deciderSpec(role, { minReplicas: 0, maxReplicas: 16, scaleDownDelayMs: 30_000 });
    const run = drive(spec, () => true, 600, {
      tickS: 2,
      coldS: 30,
      serving: role === 'prefill' ? prompts : decodeLoad,
    });
    expect(Math.max(...run.map((x) => x.d.desired))).toBeGreaterThan(1);
    expect(run.some((x) => x.d.reason === 'peak-hold')).toBe(held);
  });
});
