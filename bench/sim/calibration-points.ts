/**
 * The published measurements the engine model is calibrated against, each with its source, its setup, the
 * value the model gives for it, and its role: `fit` points set a parameter (docs/simulator.md "Calibration"
 * names which), `test` points are held back and only checked. test/sim/calibration.test.ts asserts every point
 * within 10%; bench/sim/fit.ts re-derives the fitted parameters from the fit points.
 */
import { closedLoop } from './calibrate.js';
import { LLAMA3_8B, type EnginePreset } from '../../model/presets.js';

export interface CalibrationPoint {
  id: string;
  /** What was measured, with its unit. */
  what: string;
  published: number;
  source: string;
  role: 'fit' | 'test';
  /** The parameter a fit point sets. */
  sets?: string;
  model(preset?: EnginePreset): number;
}

/**
 * Benchmark clients are not phase-locked to engine steps (GuideLLM, vllm bench: Python clients, HTTP): each
 * client waits up to one saturated step (10 ms) before its next request, so requests arrive at a random point
 * of the step in flight. Without it a closed loop of identical requests falls into lock-step with the engine
 * and every request arrives just before a step boundary.
 */
const CLIENT_JITTER_S = 0.01;

/** WVA parameter-estimation tutorial setup: vLLM, Llama-3.1-8B, 1×H100, GuideLLM 128 in / 128 out, max-num-seqs 64. */
function wva(p: EnginePreset, clients: number) {
  return closedLoop(
    { ...p, maxNumSeqs: 64 },
    { clients, promptTokens: 128, outputTokens: 128, durationS: 30, jitterS: CLIENT_JITTER_S },
  );
}

/** One request alone on an idle engine (profilers, calibrate.sh): its TTFT in seconds. */
function idleTtft(p: EnginePreset, promptTokens: number): number {
  return closedLoop(p, { clients: 1, promptTokens, outputTokens: 1, durationS: 5, warmupS: 1 }).meanTtftS;
}

/** Llama-3.1-8B architecture at TP4 (DeepSeek-R1-Distill-Llama-8B, the model of Dynamo's profiling example). */
export function llama8bTp4(p: EnginePreset = LLAMA3_8B): EnginePreset {
  return { ...p, id: 'llama3-8b-tp4', tp: 4 };
}

/**
 * Qwen3-32B at TP2 (shapes: Qwen3 technical report, arXiv 2505.09388, Table 1 — 64 layers, 64 query / 8 KV heads —
 * and its config.json: hidden 5120, head dim 128, vocab 151,936, 32.8 B parameters, untied LM head). Used only for
 * the prefill-efficiency points; the engine settings are the 8B preset's (vLLM defaults).
 */
export function qwen3_32bTp2(p: EnginePreset = LLAMA3_8B): EnginePreset {
  return {
    ...p,
    id: 'qwen3-32b-tp2',
    model: 'Qwen/Qwen3-32B',
    tp: 2,
    params: 32.8e9,
    vocab: 151_936,
    layers: 64,
    hidden: 5120,
    attnDim: 64 * 128,
    kvBytesPerToken: 2 * 64 * 8 * 128 * 2,
    weightBytes: 65.6e9,
    kvCapacityTokens: 300_000,
  };
}

/** H200: the same dense BF16 peak as the H100 SXM (989 TFLOP/s) with 4.8 TB/s HBM3e (NVIDIA H200 datasheet). */
function onH200(p: EnginePreset): EnginePreset {
  return { ...p, id: `${p.id}-h200`, hbmBytesPerS: 4.8e12 };
}

const ROUTER_README =
  'llm-d-router v0.9.0 pkg/epp/framework/plugins/scheduling/filter/prefixcacheaffinity/README.md ' +
  '(peakPrefillThroughput default: "Qwen 32B on 2x H100 80GB (TP=2) with vLLM 0.19, a single unloaded chunk of 8192")';
const WVA_TUTORIAL =
  'llm-d workload-variant-autoscaler docs/tutorials/parameter-estimation.md (autoscaling.md §3; vLLM, ' +
  'Llama-3.1-8B, 1×H100, GuideLLM 128/128, max-num-seqs 64)';
const DYNAMO_PROFILE =
  'ai-dynamo/dynamo docs/architecture/pre_deployment_profiling.md (autoscaling.md §1.2; vLLM backend, ' +
  'DS-R1-Distill-Llama-8B on H100: "prefill TP4: TTFT 48.37 ms, 15505.23 tokens/s/GPU; decode TP4: ITL 4.83 ms")';

export const CALIBRATION_POINTS: readonly CalibrationPoint[] = [
  {
    id: 'itl-1',
    what: 'ITL at 1 request, ms',
    published: 7.0,
    source: WVA_TUTORIAL,
    role: 'fit',
    sets: 'stepOverheadS (α)',
    model: (p = LLAMA3_8B) => wva(p, 1).meanItlS * 1000,
  },
  {
    id: 'itl-64',
    what: 'ITL at 64 concurrent, ms',
    published: 8.7,
    source: WVA_TUTORIAL,
    role: 'fit',
    sets: 'perSeqOverheadS (γ)',
    model: (p = LLAMA3_8B) => wva(p, 64).meanItlS * 1000,
  },
  {
    id: 'ttft-1',
    what: 'TTFT at 1 request (128 tokens), ms',
    published: 15.0,
    source: WVA_TUTORIAL,
    role: 'fit',
    sets: 'requestOverheadS (c0)',
    model: (p = LLAMA3_8B) => wva(p, 1).meanTtftS * 1000,
  },
  {
    id: 'ttft-64',
    what: 'TTFT at 64 concurrent (saturated), ms',
    published: 26.0,
    source: WVA_TUTORIAL,
    role: 'fit',
    sets: 'outputOverheadPerSeqS',
    model: (p = LLAMA3_8B) => wva(p, 64).meanTtftS * 1000,
  },
  {
    id: 'prefill-qwen32b-tp2',
    what: 'prefill throughput, one idle 8,192-token chunk, Qwen3-32B TP2 on H100, tok/s per engine',
    published: 15_928,
    source: ROUTER_README,
    role: 'fit',
    sets: 'flopsEfficiency',
    model: (p = LLAMA3_8B) => 8192 / idleTtft(qwen3_32bTp2(p), 8192),
  },
  {
    id: 'decode-8b-tp4',
    what: 'ITL at 1 request, Llama-3.1-8B TP4 on H100, ms',
    published: 4.83,
    source: DYNAMO_PROFILE,
    role: 'fit',
    sets: 'allReduceLatencyS',
    model: (p = LLAMA3_8B) =>
      closedLoop(llama8bTp4(p), { clients: 1, promptTokens: 3000, outputTokens: 200, durationS: 10 }).meanItlS * 1000,
  },
  {
    id: 'saturated-generation',
    what: 'generated tokens/s at 64 concurrent',
    published: 7_252,
    source: WVA_TUTORIAL,
    role: 'test',
    model: (p = LLAMA3_8B) => wva(p, 64).generatedTokensPerS,
  },
  {
    id: 'prefill-8b-tp4',
    what: 'prefill TTFT of a 3,000-token prompt alone, Llama-3.1-8B TP4 on H100, ms (15,505 tok/s/GPU)',
    published: 48.37,
    source: DYNAMO_PROFILE + '; ISL = 48.37 ms × 15,505 tok/s/GPU × 4 GPUs = 3,000 (the profiler default)',
    role: 'test',
    model: (p = LLAMA3_8B) => idleTtft(llama8bTp4(p), 3000) * 1000,
  },
  {
    id: 'prefill-qwen32b-tp2-h200',
    what: 'prefill throughput, one idle 8,192-token chunk, Qwen3-VL-32B TP2 on H200, tok/s per engine',
    published: 15_751,
    source:
      'llm-d guides/recipes/router/calibration/configuration-matrix.md (gpu/vllm multimodal-serving row, vLLM ' +
      'v0.23.0, measured with calibrate.sh = 8192 / median TTFT; text prompt, same language model shapes)',
    role: 'test',
    model: (p = LLAMA3_8B) => 8192 / idleTtft(onH200(qwen3_32bTp2(p)), 8192),
  },
];

/** Relative error of the model against a point (model / published − 1). */
export function residual(point: CalibrationPoint, preset?: EnginePreset): number {
  return point.model(preset) / point.published - 1;
}
