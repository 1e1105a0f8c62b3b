/**
 * The measurement setups behind the published calibration points (autoscaling.md §3/§7.4, WVA
 * parameter-estimation tutorial): a closed loop of N clients each sending a fixed-size request as soon as
 * the previous one finishes, against one engine. N=1 is the "synchronous" point; N=max_num_seqs=64 the
 * saturated one.
 */
import { SimClock } from './clock.js';
import { runCluster } from './cluster.js';
import { Engine } from '../../model/engine.js';
import type { EnginePreset } from '../../model/presets.js';
import { createRng } from '../../model/rng.js';

export interface ClosedLoopResult {
  requestsPerS: number;
  generatedTokensPerS: number;
  meanTtftS: number;
  /** Mean inter-token latency over all requests (decode time / (output − 1)). */
  meanItlS: number;
}

export function closedLoop(
  preset: EnginePreset,
  opts: {
    clients: number;
    promptTokens: number;
    outputTokens: number;
    durationS: number;
    warmupS?: number;
    /** Each client waits U(0, jitterS) before its next request (seeded), so arrivals are not phase-locked to steps. */
    jitterS?: number;
  },
): ClosedLoopResult {
  const clock = new SimClock();
  const engine = new Engine('cal', preset, clock);
  const warm = opts.warmupS ?? 5;
  const jitter = opts.jitterS ?? 0;
  const rng = createRng(7);
  const end = warm + opts.durationS;
  let done = 0;
  let tokens = 0;
  let ttft = 0;
  let itl = 0;
  let id = 0;
  const send = (): void => {
    const start = clock.now();
    let first = 0;
    engine.enqueue({
      id: id++,
      promptTokens: opts.promptTokens,
      outputTokens: opts.outputTokens,
      hashIds: [],
      remotePrefilled: false,
      onFirstToken: (t) => (first = t),
      onDone: (t) => {
        if (start >= warm && t <= end) {
          done++;
          tokens += opts.outputTokens;
          ttft += first - start;
          itl += (t - first) / Math.max(1, opts.outputTokens - 1);
        }
        if (t < end) clock.at(t + jitter * rng.next(), send);
      },
    });
  };
  // Clients start spread over the first second, as benchmark clients ramp up; otherwise they stay in
  // lock-step and every prefill lands in one step instead of riding along with decodes.
  for (let i = 0; i < opts.clients; i++) clock.at(i / opts.clients, send);
  clock.runUntil(end);
  return {
    requestsPerS: done / opts.durationS,
    generatedTokensPerS: tokens / opts.durationS,
    meanTtftS: ttft / done,
    meanItlS: itl / done,
  };
}

/**
 * `peakPrefillThroughput` as llm-d's calibration script measures it (guides/recipes/router/calibration/
 * calibrate.sh: CHUNK_SIZE ÷ median TTFT of a CHUNK_SIZE-token prompt on an idle stack, through the path that
 * serves; with P/D the TTFT includes the KV transfer and the first decode step): here one such request on an idle
 * simulated fleet of one decode (and one prefill) replica.
 */
export function calibratedPrefillTokensPerSec(preset: EnginePreset, disaggregated: boolean): number {
  const chunk = preset.maxNumBatchedTokens;
  const fleet = { decode: 1, prefill: disaggregated ? 1 : 0 };
  const res = runCluster({
    preset,
    requests: [{ arrival: 0, promptTokens: chunk, outputTokens: 1, hashIds: [] }],
    horizonS: 1,
    policy: { name: 'idle', step: () => fleet },
    router: 'llm-d',
    disaggregated,
    pdThresholdTokens: 1,
    seed: 1,
    initial: fleet,
    coldStartS: 0,
    maxReplicas: 1,
    sampleS: 1e9,
  });
  const o = res.outcomes[0];
  if (!o || !Number.isFinite(o.firstTokenAt)) throw new Error('calibration request did not finish');
  return chunk / (o.firstTokenAt - o.arrival);
}
