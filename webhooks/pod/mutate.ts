/**
 * The pod wiring as a pure function. Pods are created by Knative from the revision, so injecting here keeps
 * revisions (and Git) free of engine plumbing and needs no Knative podspec feature gates
 * (kserve-knative.md §7). A pod webhook must never block a pod: problems become warnings, and a pod whose
 * vLLM command line cannot be extended is left consistent (no flags, no port move, no sidecar).
 */
import type { InjectionConfig } from '../../src/config.js';
import { POD_ANNOTATIONS } from '../../core/names.js';
import { isRecord, type Container, type Pod } from '../../src/types/kube.js';
import { portInScript, vllmListenPort } from './command-line.js';
import { buildPodContext, DEFAULT_CLUSTER, type ClusterFeatures, type PodContext } from './context.js';
import { POD_MUTATORS } from './mutators/index.js';

export type PodOutcome =
  { kind: 'untouched'; warnings: string[] } | { kind: 'mutated'; object: Pod; warnings: string[]; context: PodContext };

/**
 * Where vLLM itself answers after the mutation, for the autoscaler's scrape (POD_ANNOTATIONS.vllmPort): its
 * final `--port` (or vLLM's default), or for a shell command line the one port its script names, else the
 * port the pod declares (what queue-proxy forwards to).
 */
function vllmPort(main: Container, ctx: PodContext): number {
  if (ctx.argsBlocked) return portInScript(main) ?? ctx.servingPort;
  return vllmListenPort(main);
}

export function mutatePod(
  input: unknown,
  injection: InjectionConfig,
  cluster: ClusterFeatures = DEFAULT_CLUSTER,
): PodOutcome {
  if (!isRecord(input) || !isRecord(input.spec) || !Array.isArray(input.spec.containers)) {
    return { kind: 'untouched', warnings: ['not a pod with containers'] };
  }
  const draft = structuredClone(input) as Pod & { spec: { containers: Container[] } };
  const ctx = buildPodContext(draft, injection, cluster);
  if (!ctx) return { kind: 'untouched', warnings: [] };
  const wanted = POD_MUTATORS.filter((m) => m.wants(ctx));
  const applied = ctx.argsBlocked ? wanted.filter((m) => !m.needsArgs) : wanted;
  const skipped = wanted.filter((m) => !applied.includes(m)).map((m) => m.name);
  const warnings = [...ctx.warnings];
  if (skipped.length > 0)
    warnings.push(
      `${ctx.argsBlocked}: not applied: ${skipped.join(', ')}; vLLM keeps its command line and port` +
        (skipped.includes('routing-sidecar') ? ' (this decode pod prefills locally)' : ''),
    );
  for (const m of applied) warnings.push(...m.apply(draft, ctx));
  draft.metadata ??= {};
  draft.metadata.annotations = {
    ...(draft.metadata.annotations ?? {}),
    [POD_ANNOTATIONS.vllmPort]: String(vllmPort(draft.spec.containers[ctx.mainIndex] as Container, ctx)),
    [POD_ANNOTATIONS.injected]: applied.map((m) => m.name).join(',') || 'none',
  };
  return { kind: 'mutated', object: draft, warnings, context: ctx };
}
