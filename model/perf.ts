/**
 * Step time of one vLLM engine iteration (autoscaling.md §7.2), pure. Roofline: an iteration takes the
 * longer of its compute (prefill GEMMs and attention, compute-bound) and its memory traffic (weights once
 * plus every scheduled token's KV, memory-bound), plus a fixed step cost α and a per-sequence cost.
 * Chunked prefill mixes prefill chunks into decode steps, which is why aggregated engines' ITL grows with
 * long prompts (§7.2 last bullet).
 */
import type { EnginePreset } from './presets.js';

export interface StepShape {
  /** Sequences decoding one token this step. */
  decodeSeqs: number;
  /** Sum of the decoding sequences' context lengths (tokens whose KV is read). */
  decodeContext: number;
  /** Prefill tokens scheduled this step (chunks). */
  prefillTokens: number;
  /** Σ n·(p + n/2) over prefill chunks of n new tokens after p already computed (causal attention). */
  prefillAttention: number;
  /** Σ (p + n) over prefill chunks: KV written/read by the chunks. */
  prefillContext: number;
  prefillSeqs: number;
}

export function stepSeconds(p: EnginePreset, s: StepShape): number {
  const tokens = s.decodeSeqs + s.prefillTokens;
  // Dense: 2 FLOPs per weight per token, except the embedding (a lookup) and the LM head, which runs only for the
  // positions that sample a token (each decoding sequence, the last position of a prefill). Attention: 4·L·(query
  // heads × head dim) per (query, key) pair (QKᵀ and AV), §7.2.
  const head = p.vocab * p.hidden;
  const flops =
    2 * (p.params - 2 * head) * tokens +
    2 * head * (s.decodeSeqs + s.prefillSeqs) +
    4 * p.layers * p.attnDim * (s.prefillAttention + s.decodeContext);
  const bytes = p.weightBytes + p.kvBytesPerToken * (s.decodeContext + s.prefillContext);
  const compute = flops / (p.peakFlops * p.flopsEfficiency * p.tp);
  const memory = bytes / (p.hbmBytesPerS * p.bwEfficiency * p.tp);
  return (
    Math.max(compute, memory) +
    allReduceSeconds(p, tokens) +
    p.stepOverheadS +
    p.perSeqOverheadS * (s.decodeSeqs + s.prefillSeqs)
  );
}

/**
 * Tensor parallelism: two all-reduces of the step's activations (tokens × hidden, bf16) per layer, after attention
 * and after the MLP (Megatron-style TP as vLLM runs it); ring all-reduce moves 2(tp−1)/tp of the bytes over the
 * GPU links, plus a fixed latency per collective. Not overlapped with compute (vLLM's default). 0 at TP1.
 */
export function allReduceSeconds(p: EnginePreset, tokens: number): number {
  if (p.tp <= 1) return 0;
  const bytes = tokens * p.hidden * 2;
  const per = p.allReduceLatencyS + ((2 * (p.tp - 1)) / p.tp) * (bytes / p.allReduceBytesPerS);
  return 2 * p.layers * per;
}

/** Seconds to move a prompt's KV from a prefill to a decode engine (P/D). */
export function kvTransferSeconds(p: EnginePreset, tokens: number): number {
  return p.kvTransferFixedS + (tokens * p.kvBytesPerToken) / p.kvTransferBytesPerS;
}

/**
 * Prompt tokens/s of one engine prefilling back-to-back prompts of `isl` tokens in max_num_batched_tokens
 * chunks: what a pre-deployment profile (Dynamo's profiler, autoscaling.md §1.1) would measure.
 */
export function profiledPrefillTokensPerSec(p: EnginePreset, isl: number): number {
  let t = 0;
  for (let done = 0; done < isl;) {
    const n = Math.min(p.maxNumBatchedTokens, isl - done);
    t += stepSeconds(p, {
      decodeSeqs: 0,
      decodeContext: 0,
      prefillTokens: n,
      prefillAttention: n * (done + n / 2),
      prefillContext: done + n,
      prefillSeqs: 1,
    });
    done += n;
  }
  return isl / t;
}
