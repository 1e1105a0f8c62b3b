/**
 * The InferenceService YAML → what runs locally: the served model, routing, P/D, and one DeciderSpec per role.
 * The webhook's own mutation (core/isvc/mutate.ts) runs first, so a service it would deny is refused here
 * with the same message, and the cluster autoscaler's spec builder (autoscaler/targets.ts `specFor`) turns
 * the annotations into decider specs — the same annotations mean the same thing locally and on a cluster.
 */
import { ConfigError, defaultWebhookConfig } from '../src/config.js';
import { LABELS } from '../core/names.js';
import { isRecord } from '../src/types/kube.js';
import { denialMessage, mutateInferenceService } from '../core/isvc/mutate.js';
import { deciderSpec } from '../autoscaler/decider/index.js';
import type { DeciderRole, DeciderSpec } from '../autoscaler/decider/types.js';
import { specFor } from '../autoscaler/targets.js';
import type { LocalConfig } from './config.js';

export interface LocalService {
  /** Served model name (KServe serves a model under the InferenceService name). */
  name: string;
  /** The model to load: storageUri without its scheme (hf://Qwen/Qwen3-32B → Qwen/Qwen3-32B), else the name. */
  model: string;
  routing: string;
  disaggregated: boolean;
  /** P/D: remote prefill when this many prompt tokens are not cached on the chosen decode replica. */
  pdThresholdTokens: number;
  roles: { decode: DeciderSpec; prefill?: DeciderSpec };
  warnings: string[];
}

const KN = 'autoscaling.knative.dev/';

function findInferenceService(docs: unknown[], file: string): unknown {
  const isvc = docs.find((d) => isRecord(d) && d.kind === 'InferenceService');
  if (isvc) return isvc;
  const found = docs.map((d) => (isRecord(d) ? String(d.kind) : typeof d)).join(', ') || 'nothing';
  throw new ConfigError(`${file}: no InferenceService in the file (found ${found})`);
}

export function resolveService(docs: unknown[], file: string, cfg: LocalConfig): LocalService {
  const isvc = findInferenceService(docs, file);
  const outcome = mutateInferenceService(isvc, defaultWebhookConfig());
  if (outcome.kind === 'denied') throw new ConfigError(`${file}: ${denialMessage(outcome.errors)}`);
  const obj = (outcome.kind === 'mutated' ? outcome.object : isvc) as {
    metadata: { name?: string; annotations?: Record<string, string> };
    spec?: { predictor?: Record<string, unknown> };
  };
  const name = obj.metadata.name;
  if (!name) throw new ConfigError(`${file}: metadata.name is required`);
  const predictor = obj.spec?.predictor ?? {};
  const settings = outcome.kind === 'mutated' ? outcome.context?.settings : undefined;
  const warnings =
    outcome.kind === 'mutated'
      ? [...outcome.warnings]
      : ['no kserve-llmd.io/ annotations: the defaults apply (decode 1-4, no P/D)'];
  const annotations = obj.metadata.annotations ?? {};
  const stable = { maxReplicasCap: 1000, stableWindowMs: cfg.autoscaler.stableWindowMs };

  // KServe copies predictor minReplicas/maxReplicas to the revision as min-scale/max-scale (kserve-knative.md §1).
  const decodeAnnotations = { ...annotations, ...scaleAnnotations(predictor) };
  const roles: LocalService['roles'] = { decode: localSpec('decode', decodeAnnotations, stable, cfg) };
  const disaggregated = settings?.disaggregation === 'prefill-decode';
  // The controller's prefill sibling carries prefill-replicas as its own range; specFor reads it for role prefill.
  if (disaggregated) roles.prefill = localSpec('prefill', annotations, stable, cfg);
  return {
    name,
    model: modelOf(predictor) ?? name,
    routing: settings?.routing ?? 'prefix-aware',
    disaggregated,
    pdThresholdTokens: roles.decode.targets.longPromptTokens,
    roles,
    warnings,
  };
}

function localSpec(
  role: DeciderRole,
  annotations: Record<string, string>,
  opts: { maxReplicasCap: number; stableWindowMs: number },
  cfg: LocalConfig,
): DeciderSpec {
  const { spec, problems } = specFor(
    { annotations, labels: { [LABELS.role]: role }, reachable: true, scaleToZeroEnabled: true },
    opts,
  );
  if (problems.length > 0) throw new ConfigError(`${role}: ${problems.join('; ')}`);
  const a = cfg.autoscaler;
  // Local timing knobs (tests shorten them); the annotation-derived bounds and SLO stay as the user wrote them.
  return deciderSpec(role, {
    ...spec,
    stableWindowMs: a.stableWindowMs,
    scaleDownDelayMs: a.scaleDownDelayMs,
    scaleToZeroAfterMs: a.scaleToZeroAfterMs ?? spec.scaleToZeroAfterMs,
    staleAfterMs: Math.max(spec.staleAfterMs, 5 * a.tickMs),
    targets: spec.targets,
    capacity: {
      ...spec.capacity,
      ...(a.prefillTokensPerSec !== null ? { prefillTokensPerSec: a.prefillTokensPerSec } : {}),
    },
  });
}

function scaleAnnotations(predictor: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  if (Number.isInteger(predictor.minReplicas)) out[`${KN}min-scale`] = String(predictor.minReplicas);
  if (Number.isInteger(predictor.maxReplicas)) out[`${KN}max-scale`] = String(predictor.maxReplicas);
  return out;
}

function modelOf(predictor: Record<string, unknown>): string | undefined {
  const model = isRecord(predictor.model) ? predictor.model : undefined;
  const uri = typeof model?.storageUri === 'string' ? model.storageUri : undefined;
  return uri?.replace(/^[a-z0-9+.-]+:\/\//i, '') || undefined;
}
