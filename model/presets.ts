/**
 * Engine presets: model shapes, hardware and vLLM settings for the simulated engines. Every number has a
 * source; the fitted ones (overheads) are fitted to the published measurements in autoscaling.md §7.4 and
 * checked by test/sim/calibration.test.ts.
 */
export interface ColdStart {
  /** Pod scheduling + container start (image assumed cached on the node; set imagePullS otherwise). */
  scheduleS: number;
  imagePullS: number;
  weightBytes: number;
  /** Storage read bandwidth for the weights (autoscaling.md §7.4: "16 GB at 2 GB/s ≈ 8 s"). */
  storageBytesPerS: number;
  /** vLLM engine init: profiling run, KV allocation, CUDA graph capture (§7.4: "~10–30 s for 8B"). */
  initS: number;
}

export interface EnginePreset {
  id: string;
  model: string;
  /** GPUs per engine (tensor parallel size); GPU-hours count every GPU. */
  tp: number;
  params: number;
  /** Vocabulary: the input embedding (a lookup) and the LM head (only for sampled positions) cost no per-token GEMM. */
  vocab: number;
  layers: number;
  hidden: number;
  /** Query heads × head dim (the attention width; = hidden for Llama-3, 8192 for Qwen3-32B's 64 × 128). */
  attnDim: number;
  /** 2·L·kv_heads·head_dim·2 bytes (bf16), autoscaling.md §7.1. */
  kvBytesPerToken: number;
  weightBytes: number;
  /** Dense BF16 peak per GPU and the fraction reached by prefill GEMMs (§7.2: 0.5–0.65). */
  peakFlops: number;
  flopsEfficiency: number;
  /** HBM bandwidth per GPU and the fraction reached by decode (§7.4: ≈0.8). */
  hbmBytesPerS: number;
  bwEfficiency: number;
  /** TP > 1: all-reduce bus bandwidth per GPU and fixed latency per collective (perf.ts allReduceSeconds). */
  allReduceBytesPerS: number;
  allReduceLatencyS: number;
  /** Fixed cost per engine step (launch, scheduler, sampling) — §7.2 α. */
  stepOverheadS: number;
  /** Cost per scheduled sequence per step (sampling, detokenize, scheduler bookkeeping). */
  perSeqOverheadS: number;
  /** Front-end cost per request before the engine sees it (HTTP, tokenization, IPC) — §7.4 c0. */
  requestOverheadS: number;
  /**
   * Output processing per sequence in a step (vLLM V1's output processor detokenizes every sequence's new token
   * in one loop): a token reaches its client after half the step's sequences' share on average (engine.ts).
   */
  outputOverheadPerSeqS: number;
  /** KV capacity in tokens (§7.1 estimate at gpu_memory_utilization 0.9). */
  kvCapacityTokens: number;
  /** vLLM --block-size default. */
  blockSize: number;
  /** vLLM V1 defaults on ≥70 GiB GPUs for the API server (arg_utils.py): 1024 seqs, 8192 tokens. */
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  /** P/D KV transfer (NIXL over one 200 Gb/s RDMA link, estimate) and a fixed handshake. */
  kvTransferBytesPerS: number;
  kvTransferFixedS: number;
  coldStart: ColdStart;
}

const H100 = { peakFlops: 989e12, hbmBytesPerS: 3.35e12 } as const; // H100 SXM datasheet (§7.1)
/**
 * H100 SXM NVLink 4: 450 GB/s per direction per GPU (datasheet 900 GB/s bidirectional); a ring all-reduce is taken
 * to reach 80% of it as bus bandwidth (the share bwEfficiency gives HBM; an estimate). The fixed cost per collective
 * (launch, synchronisation) is fitted: 35.8 µs makes the TP4 decode point (Dynamo's 8B profile, ITL 4.83 ms) exact.
 */
const NVLINK = { allReduceBytesPerS: 360e9, allReduceLatencyS: 35.8e-6 } as const;

/**
 * Llama-3(.1)-8B on 1×H100. Shapes: vidur model_config.py (§7.1). Fitted (bench/sim/fit.ts re-derives them from the
 * fit points of calibration-points.ts; docs/simulator.md "Calibration" lists every point and its residual): α and
 * the per-sequence cost to the WVA tutorial's ITL 7.0 ms at 1 request and 8.7 ms at 64; c0 to its TTFT 15 ms at
 * 128 tokens; the output processor's per-sequence cost to its saturated TTFT 26 ms; the prefill efficiency to the
 * llm-d router's Qwen3-32B TP2 prefill figure (15,928 tok/s for one 8,192-token chunk, vLLM 0.19).
 */
export const LLAMA3_8B: EnginePreset = {
  id: 'llama3-8b',
  model: 'meta-llama/Llama-3.1-8B-Instruct',
  tp: 1,
  params: 8.03e9,
  vocab: 128_256,
  layers: 32,
  hidden: 4096,
  attnDim: 4096,
  kvBytesPerToken: 131_072,
  weightBytes: 16.06e9,
  ...H100,
  flopsEfficiency: 0.625,
  bwEfficiency: 0.8,
  ...NVLINK,
  stepOverheadS: 0.00098,
  perSeqOverheadS: 0.0000171,
  requestOverheadS: 0.00793,
  outputOverheadPerSeqS: 0.000151,
  kvCapacityTokens: 400_000,
  blockSize: 16,
  maxNumSeqs: 1024,
  maxNumBatchedTokens: 8192,
  kvTransferBytesPerS: 25e9,
  kvTransferFixedS: 0.002,
  coldStart: { scheduleS: 5, imagePullS: 0, weightBytes: 16.06e9, storageBytesPerS: 2e9, initS: 20 },
};

/**
 * Llama-3-70B on 4×H100 (TP4). Shapes: vidur (§7.1); KV capacity §7.1 (410k tokens). No published
 * calibration point here: the 8B fit, with the TP4 all-reduces of perf.ts (which the 8B TP4 points check). Cold start:
 * 141 GB at 2 GB/s plus a longer init (§7.4; ServerlessLLM quotes 84 s
 * to load LLaMA-2-70B).
 */
export const LLAMA3_70B: EnginePreset = {
  ...LLAMA3_8B,
  id: 'llama3-70b',
  model: 'meta-llama/Llama-3.1-70B-Instruct',
  tp: 4,
  params: 70.6e9,
  vocab: 128_256,
  layers: 80,
  hidden: 8192,
  attnDim: 8192,
  kvBytesPerToken: 327_680,
  weightBytes: 141.2e9,
  kvCapacityTokens: 410_000,
  coldStart: { scheduleS: 5, imagePullS: 0, weightBytes: 141.2e9, storageBytesPerS: 2e9, initS: 40 },
};

export const PRESETS: Record<string, EnginePreset> = { [LLAMA3_8B.id]: LLAMA3_8B, [LLAMA3_70B.id]: LLAMA3_70B };

/** Seconds from pod creation to a ready engine. */
export function coldStartSeconds(p: EnginePreset): number {
  const c = p.coldStart;
  return c.scheduleS + c.imagePullS + c.weightBytes / c.storageBytesPerS + c.initS;
}
