/**
 * The objects the controller keeps for one InferenceService, as a registry: one pure builder per object, in
 * creation order (the EPP's identity and config before the Deployment that uses them, the pool before the
 * route that points at it). `desiredObjects` is what both the controller and `kserve-llmd render` call.
 */
import { RESOURCES, type KubeObject, type ResourceType } from '../../src/kube.js';
import { eppServiceName, prefillSiblingName } from '../../core/names.js';
import { isRecord, type InferenceService } from '../../src/types/kube.js';
import { parseAnnotations } from '../../core/annotations/parse.js';
import type { ControllerConfig, GatewayImplementation } from '../config.js';
import { eppRole, eppRoleBinding, eppService, eppServiceAccount } from './epp-access.js';
import { eppConfigMap, eppDeployment } from './epp-workload.js';
import { destinationRule, gcpBackendPolicy, healthCheckPolicy } from './gateway-policies.js';
import { httpRoute } from './http-route.js';
import { inferencePool } from './inference-pool.js';
import type { BuildContext } from './meta.js';
import { prefillSibling } from './prefill-sibling.js';
import { tokenizerName, tokenizerService } from './tokenizer.js';

export interface ObjectBuilder {
  kind: string;
  resource: ResourceType;
  /** The object's name for a service: where a stale one is looked for when none is desired any more. */
  name(service: string): string;
  /** Only with this gateway implementation (its CRD exists only there, so only then is it watched). */
  gateway?: GatewayImplementation;
  /** undefined = this service should not have one (a stale one is deleted). */
  build(ctx: BuildContext): KubeObject | undefined;
}

const same = (service: string): string => service;

export const OBJECT_BUILDERS: readonly ObjectBuilder[] = [
  { kind: 'ServiceAccount', resource: RESOURCES.serviceAccounts, name: eppServiceName, build: eppServiceAccount },
  { kind: 'Role', resource: RESOURCES.roles, name: eppServiceName, build: eppRole },
  { kind: 'RoleBinding', resource: RESOURCES.roleBindings, name: eppServiceName, build: eppRoleBinding },
  { kind: 'ConfigMap', resource: RESOURCES.configMaps, name: eppServiceName, build: eppConfigMap },
  { kind: 'Deployment', resource: RESOURCES.deployments, name: eppServiceName, build: eppDeployment },
  { kind: 'Service', resource: RESOURCES.services, name: eppServiceName, build: eppService },
  { kind: 'Service', resource: RESOURCES.services, name: tokenizerName, build: tokenizerService },
  {
    kind: 'DestinationRule',
    resource: RESOURCES.destinationRules,
    name: eppServiceName,
    gateway: 'istio',
    build: destinationRule,
  },
  { kind: 'InferencePool', resource: RESOURCES.inferencePools, name: same, build: inferencePool },
  {
    kind: 'HealthCheckPolicy',
    resource: RESOURCES.healthCheckPolicies,
    name: same,
    gateway: 'gke',
    build: healthCheckPolicy,
  },
  {
    kind: 'GCPBackendPolicy',
    resource: RESOURCES.gcpBackendPolicies,
    name: same,
    gateway: 'gke',
    build: gcpBackendPolicy,
  },
  { kind: 'HTTPRoute', resource: RESOURCES.httpRoutes, name: same, build: httpRoute },
  { kind: 'InferenceService', resource: RESOURCES.inferenceServices, name: prefillSiblingName, build: prefillSibling },
];

/** The builders in use with this config: the common ones and those of its gateway implementation. */
export function objectBuilders(config: Pick<ControllerConfig, 'gatewayImplementation'>): readonly ObjectBuilder[] {
  return OBJECT_BUILDERS.filter((b) => b.gateway === undefined || b.gateway === config.gatewayImplementation);
}

export type Desired =
  /** Not ours to route: no kserve-llmd annotations, or routing none. Objects we made for it are deleted. */
  | { kind: 'none'; reason: string }
  /** A prefill sibling (`kserve-llmd.io/prefill-for`): its parent's reconcile owns it; nothing to do here. */
  | { kind: 'prefill-sibling'; parent: string }
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
  if (parsed.settings.prefillFor !== null) return { kind: 'prefill-sibling', parent: parsed.settings.prefillFor };
  if (parsed.settings.routing === 'none') return { kind: 'none', reason: 'kserve-llmd.io/routing is none' };
  const ctx: BuildContext = {
    isvc,
    name: isvc.metadata.name ?? '',
    namespace: isvc.metadata.namespace ?? 'default',
    settings: parsed.settings,
    config,
  };
  try {
    return {
      kind: 'objects',
      byBuilder: objectBuilders(config).map((builder) => ({ builder, object: builder.build(ctx) })),
    };
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
