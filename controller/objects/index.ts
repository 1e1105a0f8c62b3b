/**
 * The objects the controller keeps for one InferenceService, as a registry: one pure builder per kind, in
 * creation order (the EPP's identity and config before the Deployment that uses them, the pool before the
 * route that points at it). `desiredObjects` is what both the controller and `kserve-llmd render` call.
 */
import { RESOURCES, type KubeObject, type ResourceType } from '../../src/kube.js';
import { isRecord, type InferenceService } from '../../src/types/kube.js';
import { parseAnnotations } from '../../webhooks/annotations/parse.js';
import type { ControllerConfig } from '../config.js';
import { eppRole, eppRoleBinding, eppService, eppServiceAccount } from './epp-access.js';
import { eppConfigMap, eppDeployment } from './epp-workload.js';
import { httpRoute } from './http-route.js';
import { inferencePool } from './inference-pool.js';
import type { BuildContext } from './meta.js';
import { prefillSibling } from './prefill-sibling.js';

export interface ObjectBuilder {
  kind: string;
  resource: ResourceType;
  /** undefined = this service should not have one (a stale one is deleted). */
  build(ctx: BuildContext): KubeObject | undefined;
}

export const OBJECT_BUILDERS: readonly ObjectBuilder[] = [
  { kind: 'ServiceAccount', resource: RESOURCES.serviceAccounts, build: eppServiceAccount },
  { kind: 'Role', resource: RESOURCES.roles, build: eppRole },
  { kind: 'RoleBinding', resource: RESOURCES.roleBindings, build: eppRoleBinding },
  { kind: 'ConfigMap', resource: RESOURCES.configMaps, build: eppConfigMap },
  { kind: 'Deployment', resource: RESOURCES.deployments, build: eppDeployment },
  { kind: 'Service', resource: RESOURCES.services, build: eppService },
  { kind: 'InferencePool', resource: RESOURCES.inferencePools, build: inferencePool },
  { kind: 'HTTPRoute', resource: RESOURCES.httpRoutes, build: httpRoute },
  { kind: 'InferenceService', resource: RESOURCES.inferenceServices, build: prefillSibling },
];

export type Desired =
  /** Not ours to route: no kserve-llmd annotations, routing none, or this is a prefill sibling. */
  | { kind: 'none'; reason: string }
  /** The annotations do not parse (the webhook would deny them): change nothing, report. */
  | { kind: 'invalid'; errors: string[] }
  | { kind: 'objects'; byBuilder: Array<{ builder: ObjectBuilder; object: KubeObject | undefined }> };

export function desiredState(isvc: InferenceService, config: ControllerConfig): Desired {
  const annotations = isRecord(isvc.metadata?.annotations)
    ? (isvc.metadata.annotations as Record<string, string>)
    : undefined;
  const parsed = parseAnnotations(annotations);
  if (!parsed.optedIn) return { kind: 'none', reason: 'no kserve-llmd.io/ annotations' };
  if (parsed.errors.length > 0) return { kind: 'invalid', errors: parsed.errors };
  if (parsed.settings.prefillFor !== null)
    return { kind: 'none', reason: `prefill sibling of ${parsed.settings.prefillFor}` };
  if (parsed.settings.routing === 'none') return { kind: 'none', reason: 'kserve-llmd.io/routing is none' };
  const ctx: BuildContext = {
    isvc,
    name: isvc.metadata.name ?? '',
    namespace: isvc.metadata.namespace ?? 'default',
    settings: parsed.settings,
    config,
  };
  try {
    return { kind: 'objects', byBuilder: OBJECT_BUILDERS.map((builder) => ({ builder, object: builder.build(ctx) })) };
  } catch (err) {
    return { kind: 'invalid', errors: [(err as Error).message] };
  }
}

/** Every object the controller would keep for this (webhook-mutated) InferenceService, in creation order. */
export function desiredObjects(mutatedIsvc: InferenceService, config: ControllerConfig): KubeObject[] {
  const desired = desiredState(mutatedIsvc, config);
  if (desired.kind !== 'objects') return [];
  return desired.byBuilder.flatMap((d) => (d.object ? [d.object] : []));
}
