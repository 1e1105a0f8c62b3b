/**
 * The bundled engine's model: a simulator preset (timing from its roofline, model/presets.ts) with the
 * served name and the local capacity limits. Capacity is small by default (config.ts) so a laptop demo
 * fills a replica with a handful of requests; timing per step stays the preset's.
 */
import { PRESETS, type EnginePreset } from '../../model/presets.js';
import { profiledPrefillTokensPerSec } from '../../model/perf.js';

export interface BundledEngineSpec {
  preset: string;
  maxNumSeqs: number;
  kvCapacityTokens: number;
}

export function bundledPreset(name: string, spec: BundledEngineSpec): EnginePreset {
  const base = PRESETS[spec.preset];
  if (!base) throw new Error(`unknown engine preset ${spec.preset}; known: ${Object.keys(PRESETS).join(', ')}`);
  return {
    ...base,
    model: name,
    maxNumSeqs: spec.maxNumSeqs,
    kvCapacityTokens: spec.kvCapacityTokens,
    maxNumBatchedTokens: Math.min(base.maxNumBatchedTokens, spec.kvCapacityTokens),
  };
}

/**
 * What a pre-deployment profile of this engine measures for prefill (Dynamo profiler, autoscaling.md §1.1), at 2k-token
 * prompts.
 */
export function bundledPrefillTokensPerSec(spec: BundledEngineSpec): number {
  return Math.round(profiledPrefillTokensPerSec(bundledPreset('profile', spec), 2048));
}
