/**
 * Everything the InferenceService rules and mutators decide from, derived once from the object,
 * its parsed annotations and the webhook config.
 */
import type { DeploymentMode, WebhookConfig } from '../../src/config.js';
import { ACCELERATOR_RESOURCES, type Accelerator, type Role } from '../names.js';
import { isRecord, type Container, type InferenceService } from '../../src/types/kube.js';
import type { LlmdSettings } from '../annotations/settings.js';
import type { ReplicaRange } from '../annotations/values.js';

export interface IsvcContext {
  name: string;
  settings: LlmdSettings;
  accelerator: Accelerator;
  acceleratorSource: 'annotation' | 'resources' | 'default';
  /** Accelerators the predictor's resource requests/limits name (normally zero or one). */
  resourceAccelerators: Accelerator[];
  deploymentMode: DeploymentMode;
  role: Role;
  /** The pool (and served model) this service's pods belong to: its own name, or the decode service's. */
  pool: string;
  replicas: ReplicaRange;
  replicasExplicit: boolean;
  config: WebhookConfig;
}

/** KServe v0.16 renamed the modes; its defaulter rewrites legacy values (kserve-knative.md §0). */
const MODE_ALIASES: Record<string, DeploymentMode> = {
  Knative: 'Knative',
  Serverless: 'Knative',
  Standard: 'Standard',
  RawDeployment: 'Standard',
  ModelMesh: 'ModelMesh',
};

export function deploymentMode(isvc: InferenceService, fallback: DeploymentMode): DeploymentMode {
  const value = isvc.metadata.annotations?.['serving.kserve.io/deploymentMode'];
  return (value !== undefined ? MODE_ALIASES[value] : undefined) ?? fallback;
}

/** The containers whose resources say which accelerator the predictor runs on. */
export function predictorContainers(isvc: InferenceService): Container[] {
  const p = isvc.spec.predictor;
  const model = isRecord(p.model) ? [p.model as Container] : [];
  // Anything may arrive before the API server validates the object (`containers: [null]` once threw).
  const containers = Array.isArray(p.containers) ? p.containers.filter((c): c is Container => isRecord(c)) : [];
  return [...model, ...containers];
}

export function resourceAccelerators(isvc: InferenceService): Accelerator[] {
  const found = new Set<Accelerator>();
  for (const c of predictorContainers(isvc)) {
    const names = [...Object.keys(c.resources?.limits ?? {}), ...Object.keys(c.resources?.requests ?? {})];
    for (const name of names) {
      const hit = ACCELERATOR_RESOURCES.find((r) => r.match(name));
      if (hit) found.add(hit.accelerator);
    }
  }
  return [...found].sort();
}

export function buildContext(isvc: InferenceService, settings: LlmdSettings, config: WebhookConfig): IsvcContext {
  const name = isvc.metadata.name ?? '';
  const fromResources = resourceAccelerators(isvc);
  const accelerator = settings.accelerator ?? fromResources[0] ?? 'cpu';
  const acceleratorSource = settings.accelerator ? 'annotation' : fromResources.length > 0 ? 'resources' : 'default';
  const isPrefill = settings.prefillFor !== null;
  const role: Role = isPrefill ? 'prefill' : settings.disaggregation === 'prefill-decode' ? 'decode' : 'prefill-decode';
  return {
    name,
    settings,
    accelerator,
    acceleratorSource,
    resourceAccelerators: fromResources,
    deploymentMode: deploymentMode(isvc, config.defaultDeploymentMode),
    role,
    pool: settings.prefillFor ?? name,
    replicas: isPrefill ? settings.prefillReplicas : settings.decodeReplicas,
    replicasExplicit: settings.explicit.has(isPrefill ? 'prefill-replicas' : 'decode-replicas'),
    config,
  };
}
