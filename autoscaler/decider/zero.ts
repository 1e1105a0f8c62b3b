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
 * Prefill wakes only for long prompts (short ones decode prefills locally), and only once decode has a Ready
 * pod (decodeReadyFirst).
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
  const why = longPrompts(spec, w);
  if (decodeUp && why !== undefined) return decodeReadyFirst(w) ?? { desired: wakeTo, reason: 'wake', detail: why };
  return { desired: 0, reason: 'hold', detail: decodeUp ? 'at zero; decode prefills locally' : 'at zero with decode' };
}

/** Prefill at zero: why long prompts make waking it worthwhile (queued or arriving), or undefined. */
function longPrompts(spec: DeciderSpec, w: RoleWindows): string | undefined {
  const z = w.demandAtZero;
  const queuedMean = z.queuedRequests > 0 ? z.queuedPromptTokens / z.queuedRequests : 0;
  if (queuedMean >= spec.targets.longPromptTokens)
    return `queued prompts average ${Math.round(queuedMean)} tokens ≥ ${spec.targets.longPromptTokens}`;
  if (hasDemand(w, spec)) return `long prompts arriving (≥ ${spec.targets.longPromptTokens} tokens on average)`;
  return undefined;
}

/**
 * P/D wake order: prefill scales from zero only once decode has a Ready pod; until then it holds at zero.
 *
 * Why (llm-d-router v0.9.0): the EPP's flow control holds requests while the pool has no endpoint and releases
 * them as soon as ANY endpoint is Ready, whatever its role. The pool's endpoints are its Ready pods, prefill
 * and decode alike (pkg/epp/controller/pod_reconciler.go: only `podutil.IsPodReady` pods that match the pool's
 * selector); each dispatch cycle measures the saturation of all of them (pkg/epp/flowcontrol/controller/
 * internal/processor.go dispatchCycle: `endpointCandidates.Locate(ctx, nil)`, which is every pod,
 * pkg/epp/requestcontrol/candidates.go), an empty pool is saturated (1.0) and holds, one idle prefill pod is not
 * and dispatches. The scheduler then runs the decode profile first and fails the request when it finds no
 * decode pod (pkg/epp/framework/plugins/scheduling/profilehandler/disagg/disagg_profile_handler.go: an empty
 * decode result ends the cycle; its README: "If the decode stage finds no suitable endpoint, all remaining
 * stages are skipped and the request fails"). So a prefill pod Ready before any decode pod turns every request
 * held at zero into an error. Waking prefill after decode costs at most one cold start of remote prefill: the
 * long prompts arriving meanwhile are prefilled by decode, as while prefill sits at zero.
 * Without a peer (no decode role seen) nothing is ordered.
 */
export function decodeReadyFirst(w: RoleWindows): Draft | null {
  if (w.peer === undefined || w.peer.ready > 0) return null;
  return {
    desired: 0,
    reason: 'decode-first',
    detail: 'at zero until decode has a Ready pod (the EPP releases held requests to any Ready pod of the pool)',
  };
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
