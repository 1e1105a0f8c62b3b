/**
 * Oracle lower bound: with perfect foresight and free, instant scaling, the fewest replicas per interval
 * that meet the SLO. The trace is cut into windows (60 s); for each window the requests arriving in it
 * are replayed on warm fixed fleets of increasing size (P/D: a grid of prefill × decode) whose caches
 * already hold the blocks of the previous 10 minutes of requests. That yields, per window, the cost
 * (replicas) and the SLO misses of each fleet. Then misses are spent where they save the most: starting
 * from every window's fewest-miss fleet, step windows down to cheaper fleets, best GPU-saved-per-miss
 * first, while total attainment stays ≥ the goal (99%).
 *
 * Why it is a lower bound: no cold starts, no drain, no carry-over of load between windows, and misses
 * placed optimally. It is also what sizes the static fleet: the largest fewest-miss fleet of any window
 * ("sized for the peak").
 */
import { runCluster, type Outcome } from './cluster.js';
import { meetsSlo } from './metrics.js';
import { staticPolicy } from './policies/static.js';
import type { Desired } from './policies/types.js';
import type { SimSettings } from './settings.js';
import type { TraceRequest } from './traffic/types.js';

export interface OracleOptions extends SimSettings {
  requests: readonly TraceRequest[];
  horizonS: number;
  onProgress?(fraction: number): void;
}

interface Option {
  fleet: Desired;
  cost: number;
  misses: number;
  outcomes: Outcome[];
}

export interface OracleWindow {
  start: number;
  requests: number;
  fleet: Desired;
  misses: number;
}

export interface OracleResult {
  windows: OracleWindow[];
  gpuSeconds: number;
  outcomes: Outcome[];
  /** Largest fewest-miss fleet over all windows: the static fleet sized for the peak. */
  peak: Desired;
  /** Windows where even maxReplicas missed some requests. */
  unmet: number;
  evaluations: number;
}

const PREWARM_S = 600;

export function runOracle(o: OracleOptions): OracleResult {
  const n = Math.max(1, Math.ceil(o.horizonS / o.windowS));
  const perWindow: Option[][] = [];
  let evaluations = 0;
  let lo = 0;
  for (let w = 0; w < n; w++) {
    const start = w * o.windowS;
    const end = Math.min(o.horizonS, start + o.windowS);
    let hi = lo;
    while (hi < o.requests.length && (o.requests[hi] as TraceRequest).arrival < end) hi++;
    const reqs = o.requests.slice(lo, hi).map((r) => ({ ...r, arrival: r.arrival - start }));
    const prewarm = o.requests.filter((r) => r.arrival >= start - PREWARM_S && r.arrival < start);
    const evaluate = (fleet: Desired): Option => {
      evaluations++;
      const res = runCluster({
        preset: o.preset,
        requests: reqs,
        horizonS: end - start,
        policy: staticPolicy(fleet),
        router: o.router,
        disaggregated: o.disaggregated,
        pdThresholdTokens: o.pdThresholdTokens,
        seed: o.seed + w,
        initial: fleet,
        coldStartS: 0,
        maxReplicas: o.maxReplicas,
        prewarm,
        sampleS: 1e9,
      });
      const misses = res.outcomes.filter((x) => !meetsSlo(x, o.slo)).length;
      return {
        fleet,
        cost: (fleet.decode + fleet.prefill) * o.preset.tp * (end - start),
        misses,
        outcomes: res.outcomes.map((x) => ({
          ...x,
          arrival: x.arrival + start,
          firstTokenAt: x.firstTokenAt + start,
          finishedAt: x.finishedAt + start,
        })),
      };
    };
    const none: Outcome[] = o.requests.slice(lo, hi).map((r) => ({
      arrival: r.arrival,
      promptTokens: r.promptTokens,
      outputTokens: r.outputTokens,
      firstTokenAt: NaN,
      finishedAt: NaN,
      ok: false,
      waitedColdStart: false,
      remotePrefill: false,
    }));
    perWindow.push(pareto(reqs.length === 0 ? [] : search(o, evaluate), none));
    lo = hi;
    o.onProgress?.((w + 1) / n);
  }
  return choose(o, perWindow, evaluations);
}

/**
 * Fleets to try for one window, cheapest first, until one reaches the window's floor of misses (requests
 * no fleet can serve within the SLO, e.g. a 100k-token prompt against a 2 s TTFT, measured on a generous
 * fleet first). P/D: the fewest prefill replicas for a decode count never grows with more decode replicas,
 * so each decode count starts its prefill search just below the previous answer (a staircase walk).
 */
function search(o: OracleOptions, evaluate: (f: Desired) => Option): Option[] {
  const tried: Option[] = [];
  const run = (f: Desired): Option => {
    const x = evaluate(f);
    tried.push(x);
    return x;
  };
  const half = Math.max(1, Math.floor(o.maxReplicas / 2));
  const floor = run(o.disaggregated ? { decode: half, prefill: half } : { decode: o.maxReplicas, prefill: 0 }).misses;
  if (!o.disaggregated) {
    for (let d = 1; d < o.maxReplicas; d++) if (run({ decode: d, prefill: 0 }).misses <= floor) break;
    return tried;
  }
  let bestCost = Infinity;
  let p = o.maxReplicas - 1;
  for (let d = 1; d <= o.maxReplicas && d < bestCost; d++) {
    // Lowest p with misses ≤ floor for this d, walking down from the previous d's answer.
    if (run({ decode: d, prefill: p }).misses > floor) continue;
    while (p > 0 && run({ decode: d, prefill: p - 1 }).misses <= floor) p--;
    bestCost = Math.min(bestCost, d + p);
  }
  return tried;
}

/** Cheapest first, each strictly fewer misses than every cheaper one; "no replicas" misses everything. */
function pareto(tried: Option[], none: Outcome[]): Option[] {
  const all = [{ fleet: { decode: 0, prefill: 0 }, cost: 0, misses: none.length, outcomes: none }, ...tried].sort(
    (a, b) => a.cost - b.cost || a.misses - b.misses,
  );
  const front: Option[] = [];
  for (const x of all) if (front.length === 0 || x.misses < (front[front.length - 1] as Option).misses) front.push(x);
  return front;
}

function choose(o: OracleOptions, perWindow: Option[][], evaluations: number): OracleResult {
  const total = o.requests.length;
  const budget = Math.floor((1 - o.attainment) * total + 1e-9);
  const pick = perWindow.map((f) => f.length - 1);
  let used = perWindow.reduce((s, f, w) => s + (f[pick[w] as number] as Option).misses, 0);
  const peak: Desired = { decode: 0, prefill: 0 };
  let unmet = 0;
  for (const f of perWindow) {
    const top = f[f.length - 1] as Option;
    peak.decode = Math.max(peak.decode, top.fleet.decode);
    peak.prefill = Math.max(peak.prefill, top.fleet.prefill);
    if (top.misses > 0) unmet++;
  }
  // Greedy: spend the miss budget on the step down that saves the most GPU time per extra miss.
  for (;;) {
    let best = -1;
    let bestRatio = Infinity;
    perWindow.forEach((f, w) => {
      const i = pick[w] as number;
      if (i === 0) return;
      const dm = (f[i - 1] as Option).misses - (f[i] as Option).misses;
      const dc = (f[i] as Option).cost - (f[i - 1] as Option).cost;
      if (used + dm > budget) return;
      if (dm / dc < bestRatio) {
        bestRatio = dm / dc;
        best = w;
      }
    });
    if (best < 0) break;
    const f = perWindow[best] as Option[];
    const i = pick[best] as number;
    used += (f[i - 1] as Option).misses - (f[i] as Option).misses;
    pick[best] = i - 1;
  }
  const windows: OracleWindow[] = [];
  const outcomes: Outcome[] = [];
  let gpuSeconds = 0;
  perWindow.forEach((f, w) => {
    const x = f[pick[w] as number] as Option;
    gpuSeconds += x.cost;
    windows.push({ start: w * o.windowS, requests: x.outcomes.length, fleet: x.fleet, misses: x.misses });
    outcomes.push(...x.outcomes);
  });
  return { windows, gpuSeconds, outcomes, peak, unmet, evaluations };
}
