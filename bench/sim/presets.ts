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
  layers: number;
  hidden: number;
  /** 2·L·kv_heads·head_dim·2 bytes (bf16), autoscaling.md §7.1. */
  kvBytesPerToken: number;
  weightBytes: number;
  /** Dense BF16 peak per GPU and the fraction reached by prefill GEMMs (§7.2: 0.5–0.65). */
  peakFlops: number;
  flopsEfficiency: number;
  /** HBM bandwidth per GPU and the fraction reached by decode (§7.4: ≈0.8). */
  hbmBytesPerS: number;
  bwEfficiency: number;
  /** Fixed cost per engine step (launch, scheduler, sampling; all-reduce for TP) — §7.2 α. */
  stepOverheadS: number;
  /** Cost per scheduled sequence per step (sampling, detokenize, scheduler bookkeeping). */
  perSeqOverheadS: number;
  /** Front-end cost per request before the engine sees it (HTTP, tokenization, IPC) — §7.4 c0. */
  requestOverheadS: number;
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
 * Llama-3(.1)-8B on 1×H100. Shapes: vidur model_config.py (§7.1). α and the per-sequence cost are fitted
 * to the WVA tutorial (§3, §7.4): ITL 7.0 ms at 1 request and 8.7 ms at ~64 concurrent (β≈0.027 ms/seq,
 * of which KV reads explain ≈0.009 ms); c0 = 8 ms makes TTFT 15 ms at 128 tokens.
 */
export const LLAMA3_8B: EnginePreset = {
  id: 'llama3-8b',
  model: 'meta-llama/Llama-3.1-8B-Instruct',
  tp: 1,
  params: 8.03e9,
  layers: 32,
  hidden: 4096,
  kvBytesPerToken: 131_072,
  weightBytes: 16.06e9,
  ...H100,
  flopsEfficiency: 0.5,
  bwEfficiency: 0.8,
  stepOverheadS: 0.00098,
  perSeqOverheadS: 0.0000175,
  requestOverheadS: 0.008,
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
 * calibration point here: α is raised to 2.5 ms for the TP4 all-reduces (§7.2 "α ≈ 1–3 ms"), the rest
 * follows the 8B fit. Cold start: 141 GB at 2 GB/s plus a longer init (§7.4; ServerlessLLM quotes 84 s
 * to load LLaMA-2-70B).
 */
export const LLAMA3_70B: EnginePreset = {
  ...LLAMA3_8B,
  id: 'llama3-70b',
  model: 'meta-llama/Llama-3.1-70B-Instruct',
  tp: 4,
  params: 70.6e9,
  layers: 80,
  hidden: 8192,
  kvBytesPerToken: 327_680,
  weightBytes: 141.2e9,
  stepOverheadS: 0.0025,
  requestOverheadS: 0.008,
  kvCapacityTokens: 410_000,
  coldStart: { scheduleS: 5, imagePullS: 0, weightBytes: 141.2e9, storageBytesPerS: 2e9, initS: 40 },
};

export const PRESETS: Record<string, EnginePreset> = { [LLAMA3_8B.id]: LLAMA3_8B, [LLAMA3_70B.id]: LLAMA3_70B };

/** Seconds from pod creation to a ready engine. */
export function coldStartSeconds(p: EnginePreset): number {
  const c = p.coldStart;
  return c.scheduleS + c.imagePullS + c.weightBytes / c.storageBytesPerS + c.initS;
}
