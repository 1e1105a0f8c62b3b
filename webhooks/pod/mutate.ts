/**
 * The pod wiring as a pure function. Pods are created by Knative from the revision, so injecting here keeps
 * revisions (and Git) free of engine plumbing and needs no Knative podspec feature gates
 * (kserve-knative.md §7). A pod webhook must never block a pod: problems become warnings.
 */
import type { InjectionConfig } from '../../src/config.js';
import { POD_ANNOTATIONS } from '../../src/names.js';
import { isRecord, type Container, type Pod } from '../../src/types/kube.js';
import { buildPodContext, type PodContext } from './context.js';
import { POD_MUTATORS } from './mutators/index.js';
import { SIDECAR_NAME } from './mutators/routing-sidecar.js';

export type PodOutcome =
  { kind: 'untouched'; warnings: string[] } | { kind: 'mutated'; object: Pod; warnings: string[]; context: PodContext };

export function mutatePod(input: unknown, injection: InjectionConfig): PodOutcome {
  if (!isRecord(input) || !isRecord(input.spec) || !Array.isArray(input.spec.containers)) {
    return { kind: 'untouched', warnings: ['not a pod with containers'] };
  }
  const draft = structuredClone(input) as Pod & { spec: { containers: Container[] } };
  const ctx = buildPodContext(draft, injection);
  if (!ctx) return { kind: 'untouched', warnings: [] };
  const wanted = POD_MUTATORS.filter((m) => m.wants(ctx));
  const warnings = [...ctx.warnings, ...wanted.flatMap((m) => m.apply(draft, ctx))];
  const sidecar = (draft.spec.initContainers ?? []).some((c) => c.name === SIDECAR_NAME);
  draft.metadata ??= {};
  draft.metadata.annotations = {
    ...(draft.metadata.annotations ?? {}),
    [POD_ANNOTATIONS.vllmPort]: String(sidecar ? injection.vllmPortBehindSidecar : ctx.servingPort),
    [POD_ANNOTATIONS.injected]: wanted.map((m) => m.name).join(',') || 'none',
  };
  return { kind: 'mutated', object: draft, warnings, context: ctx };
}
