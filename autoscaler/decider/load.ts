/**
 * Load rules: from one window, how many replicas the role needs. Pure.
 *
 * Each rule returns `up` (replicas needed at the target: scale up to it) and `down` (replicas needed at
 * target × scaleDownHeadroom: the consolidation check — N → M only if M replicas keep headroom, as Dynamo's
 * load planner and WVA do; this is what stops 2→1→2 oscillation). The largest rule wins (AIBrix/KPA: with
 * several metrics the max of the per-metric counts wins, autoscaling.md §2).
 */
import type { DecisionReason, DeciderSpec, WindowAggregate } from './types.js';

export interface LoadRule {
  reason: DecisionReason;
  up: number;
  down: number;
  detail: string;
}

const EPS = 1e-9;
const ceil = (x: number): number => Math.max(0, Math.ceil(x - EPS));

/**
 * Decode (autoscaling.md §1.2, §3): KV-cache pressure is the capacity signal of a decode replica;
 * waiting requests mean every slot is taken; a p90 ITL over the SLO means batches are too large.
 */
export function decodeRules(w: WindowAggregate, ready: number, spec: DeciderSpec): LoadRule[] {
  const t = spec.targets;
  const kvPods = w.kvUsage * ready; // KV in use, in replica-equivalents
  const rules: LoadRule[] = [{
    reason: 'kv-pressure',
    up: ceil(kvPods / t.kvUsage),
    down: ceil(kvPods / (t.kvUsage * t.scaleDownHeadroom)),
    detail: `kv ${fmt(w.kvUsage)} × ${ready} ready vs target ${t.kvUsage}`,
  }];
  // Queue: once the waiting queue exceeds the tolerance, size for running + waiting at the concurrency one
  // replica actually holds (its running count when saturated), as KPA sizes on concurrency per pod.
  const slots = ready > 0 ? Math.max(1, w.running / ready) : 1;
  if (w.waiting > t.waitingPerReplica * Math.max(1, ready)) {
    const need = ceil((w.running + w.waiting) / slots);
    rules.push({ reason: 'queue', up: need, down: need, detail: `${fmt(w.waiting)} waiting, ${fmt(w.running)} running, ${fmt(slots)} per replica` });
  } else if (w.waiting > EPS) {
    // Any queue at all: no consolidation (WVA: scale down only if spare queue stays ≥ 3 on N−1).
    rules.push({ reason: 'queue', up: 0, down: ready, detail: `${fmt(w.waiting)} waiting: no consolidation` });
  }
  // ITL ≈ α + β·batch (WVA, Dynamo): over the SLO add one. Consolidating N → M grows batches by N/M; bounding
  // ITL by itl·N/M (conservative: it ignores α) keeps M where the estimate stays under SLO × headroom
  // (Dynamo: post_ITL < SLA·0.8).
  if (w.itlP90Ms !== undefined && ready > 0) {
    const over = w.itlP90Ms > spec.slo.itlMs;
    const keep = Math.min(ready, ceil((w.itlP90Ms * ready) / (spec.slo.itlMs * t.scaleDownHeadroom)));
    rules.push({
      reason: 'itl-slo',
      up: over ? ready + 1 : 0,
      down: over ? ready : keep,
      detail: `itl p90 ${fmt(w.itlP90Ms)} ms vs slo ${spec.slo.itlMs} ms`,
    });
  }
  return rules;
}

/**
 * Prefill (Dynamo throughput planner, autoscaling.md §1.1): replicas = offered prompt tokens/s ÷ per-replica
 * throughput, plus what it takes to drain the current backlog within part of the TTFT budget.
 */
export function prefillRules(w: WindowAggregate, ready: number, spec: DeciderSpec, tokensPerSec: number): LoadRule[] {
  const t = spec.targets;
  const budgetS = (spec.slo.ttftMs / 1000) * t.backlogTtftFraction;
  const need = w.promptTokensRate / (tokensPerSec * t.prefillUtilization) + w.promptBacklogTokens / (tokensPerSec * budgetS);
  const rules: LoadRule[] = [{
    reason: 'prompt-backlog',
    up: ceil(need),
    down: ceil(need / t.scaleDownHeadroom),
    detail: `${fmt(w.promptTokensRate)} prompt tok/s + backlog ${fmt(w.promptBacklogTokens)} tok vs ${fmt(tokensPerSec)} tok/s/replica, ttft ${spec.slo.ttftMs} ms`,
  }];
  if (w.ttftP90Ms !== undefined && ready > 0) {
    const over = w.ttftP90Ms > spec.slo.ttftMs;
    rules.push({
      reason: 'ttft-slo',
      up: over ? ready + 1 : 0,
      down: over || w.ttftP90Ms > spec.slo.ttftMs * t.scaleDownHeadroom ? ready : 0,
      detail: `ttft p90 ${fmt(w.ttftP90Ms)} ms vs slo ${spec.slo.ttftMs} ms`,
    });
  }
  return rules;
}

/** The winning rule: the largest `up`; `down` is the largest of all rules' `down` (every rule must agree). */
export function combine(rules: LoadRule[]): { up: number; down: number; reason: DecisionReason; detail: string } {
  let best = rules[0] ?? { reason: 'hold' as const, up: 0, down: 0, detail: 'no rules' };
  for (const r of rules) if (r.up > best.up) best = r;
  const down = Math.max(0, ...rules.map((r) => r.down));
  return { up: best.up, down: Math.max(down, best.up), reason: best.reason, detail: best.detail };
}

export function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(Math.abs(x) < 10 ? 2 : 0);
}
