/**
 * A Knative-style living condition set (knative.dev/pkg apis/condition_set.go, as used by knative.dev/serving
 * knative-v1.23.0 pkg/apis/autoscaling/v1alpha1/pa_lifecycle.go `podCondSet`): a happy condition, `Ready`,
 * that follows its dependents. Ready is True when every dependent is True, False when any is False, Unknown
 * otherwise, and carries the reason and message of the first dependent (in set order) that is not True.
 * A condition keeps its lastTransitionTime while its status is unchanged. Pure.
 */
import type { Condition, ConditionStatus } from '../views.js';

export interface ConditionMarker {
  /** Set a dependent (or any) condition; reason and message only when given. */
  mark(type: string, status: ConditionStatus, reason?: string, message?: string): Condition;
  /** The happy condition (Ready) from the dependents marked so far. */
  happy(): Condition;
}

export interface ConditionSet {
  readonly happy: string;
  readonly dependents: readonly string[];
  /** Start from the object's previous conditions, stamping changes with `nowIso`. */
  manage(previous: readonly Condition[], nowIso: string): ConditionMarker;
}

export function livingConditionSet(dependents: readonly string[], happy = 'Ready'): ConditionSet {
  return {
    happy,
    dependents,
    manage(previous, nowIso) {
      const marked = new Map<string, Condition>();
      const mark = (type: string, status: ConditionStatus, reason?: string, message?: string): Condition => {
        const old = previous.find((c) => c.type === type);
        const c: Condition = {
          type,
          status,
          lastTransitionTime: old?.status === status && old.lastTransitionTime ? old.lastTransitionTime : nowIso,
        };
        if (reason) c.reason = reason;
        if (message) c.message = message;
        marked.set(type, c);
        return c;
      };
      return {
        mark,
        happy: () => {
          const parts = dependents.map(
            (type) => marked.get(type) ?? { type, status: 'Unknown' as const, reason: undefined, message: undefined },
          );
          const firstNotTrue = parts.find((c) => c.status !== 'True');
          return mark(happy, happyStatus(parts.map((c) => c.status)), firstNotTrue?.reason, firstNotTrue?.message);
        },
      };
    },
  };
}

function happyStatus(statuses: readonly ConditionStatus[]): ConditionStatus {
  if (statuses.every((s) => s === 'True')) return 'True';
  return statuses.includes('False') ? 'False' : 'Unknown';
}
