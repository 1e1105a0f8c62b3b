/**
 * Scale-to-zero coordination rules (kserve-knative.md §4 "Can a non-KPA class scale to zero?"; llm-d.md §7).
 * Pure. Each returns a draft decision, or null when the rule does not apply.
 */
import { hasDemand } from './state.js';
import type { DecisionReason, DeciderSpec, DeciderState, RoleWindows } from './types.js';

type Draft = { desired: number; reason: DecisionReason; detail: string };

/**
 * The role has no pods and last decided zero: stay there, or wake. Demand at zero (EPP flow-control queue,
 * activator queue) wakes decode on the first tick that sees it: no window, no delay — WVA polls the EPP queue
 * every 100 ms for the same reason (autoscaling.md §3), where KEDA polls every 15–30 s.
 * Prefill wakes only with decode, and only for long prompts (short ones decode prefills locally).
 */
export function atZero(spec: DeciderSpec, w: RoleWindows, s: DeciderState, current: number): Draft | null {
  if (current > 0 || s.desired > 0) return null;
  const wakeTo = Math.max(1, spec.activationScale, spec.minReplicas);
  const z = w.demandAtZero;
  if (spec.role === 'decode') {
    if (z.queuedRequests > 0 || z.queuedPromptTokens > 0 || hasDemand(w, spec)) {
      return { desired: wakeTo, reason: 'wake', detail: `${z.queuedRequests} request(s) queued at zero` };
    }
    return { desired: 0, reason: 'hold', detail: 'at zero, no demand' };
  }
  const decodeUp = (w.peer?.desired ?? 1) > 0;
  const queuedMean = z.queuedRequests > 0 ? z.queuedPromptTokens / z.queuedRequests : 0;
  if (decodeUp && queuedMean >= spec.targets.longPromptTokens) {
    return {
      desired: wakeTo,
      reason: 'wake',
      detail: `queued prompts average ${Math.round(queuedMean)} tokens ≥ ${spec.targets.longPromptTokens}`,
    };
  }
  if (decodeUp && hasDemand(w, spec)) {
    return {
      desired: wakeTo,
      reason: 'wake',
      detail: `long prompts arriving (≥ ${spec.targets.longPromptTokens} tokens on average)`,
    };
  }
  return { desired: 0, reason: 'hold', detail: decodeUp ? 'at zero; decode prefills locally' : 'at zero with decode' };
}

/**
 * Decode at zero takes prefill with it: with no decode pod nothing can consume a prefill's KV, so prefill
 * pods would only burn GPUs (llm-d-autoscaling#1531 asks exactly this; llm-d.md §9).
 */
export function followsDecodeToZero(spec: DeciderSpec, w: RoleWindows, _s: DeciderState): Draft | null {
  if (spec.role !== 'prefill' || w.peer === undefined || w.peer.desired > 0) return null;
  if (!spec.scaleToZeroEnabled || spec.minReplicas > 0) return null;
  return { desired: 0, reason: 'decode-at-zero', detail: 'decode is going to zero' };
}
