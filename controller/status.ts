/**
 * What the user sees: the `kserve-llmd.io/status` annotation on the InferenceService (JSON, deterministic:
 * no timestamps, so rewriting it is a no-op unless something changed), a Kubernetes Event and a CloudEvent
 * `dev.kserve-llmd.routing.<state>` on each change. Pure.
 */
import { ANNOTATION_PREFIX } from '../core/names.js';

export const STATUS_ANNOTATION = `${ANNOTATION_PREFIX}status`;

export type ObjectOutcome =
  | { kind: string; name: string; result: 'created' | 'updated' | 'unchanged' | 'deleted' }
  | { kind: string; name: string; result: 'conflict' | 'error'; message: string };

export type RoutingState = 'Ready' | 'Conflict' | 'Failed' | 'Invalid' | 'Removed';

export interface RoutingStatus {
  state: RoutingState;
  /** Kind/name of every object that exists for the service. */
  objects: string[];
  problems: string[];
}

export function summarize(outcomes: ObjectOutcome[], invalid: string[] = []): RoutingStatus {
  if (invalid.length > 0) return { state: 'Invalid', objects: [], problems: invalid };
  const present = outcomes
    .filter((o) => o.result === 'created' || o.result === 'updated' || o.result === 'unchanged')
    .map((o) => `${o.kind}/${o.name}`);
  const problems = outcomes.flatMap((o) =>
    o.result === 'conflict' || o.result === 'error' ? [`${o.kind}/${o.name}: ${o.message}`] : [],
  );
  const state: RoutingState = outcomes.some((o) => o.result === 'conflict')
    ? 'Conflict'
    : outcomes.some((o) => o.result === 'error')
      ? 'Failed'
      : 'Ready';
  return { state, objects: present, problems };
}

export function statusText(status: RoutingStatus): string {
  return JSON.stringify({
    state: status.state,
    objects: status.objects,
    ...(status.problems.length > 0 ? { problems: status.problems } : {}),
  });
}

/** One line for a Kubernetes Event / log. */
export function statusMessage(status: RoutingStatus): string {
  if (status.state === 'Ready') return `llm-d routing ready: ${status.objects.join(', ')}`;
  if (status.state === 'Removed') return 'llm-d routing removed: the service no longer opts in';
  return `llm-d routing ${status.state.toLowerCase()}: ${status.problems.join('; ')}`.slice(0, 1000);
}

export function cloudEventType(state: RoutingState): string {
  return `dev.kserve-llmd.routing.${state.toLowerCase()}`;
}
