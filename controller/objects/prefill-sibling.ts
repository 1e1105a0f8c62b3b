/**
 * The prefill sibling `<name>-prefill` for `disaggregation: prefill-decode` (llm-d.md §3): the same model and
 * runtime as the service, role prefill, replica bounds from `prefill-replicas`, same pool label and autoscaler
 * class. It is built by running the webhook's own mutation (core/isvc/mutate.ts) on it, so when the
 * webhook sees the object it has nothing to change (idempotence: no patch, no drift, no write loop).
 *
 * Starting point: the service's predictor as the USER wrote it (what the webhook defaulted for the decode
 * role is taken back via its `kserve-llmd.io/defaulted` record), so the sibling gets prefill defaults, not
 * decode ones. Later edits of the predictor flow through because the sibling is rebuilt from it each time.
 */
import { ANNOTATION_PREFIX, CONTROLLER, prefillSiblingName } from '../../core/names.js';
import type { KubeObject } from '../../src/kube.js';
import type { InferenceService } from '../../src/types/kube.js';
import { FieldWriter, readRecord, DEFAULTED_ANNOTATION } from '../../core/isvc/fields.js';
import { mutateInferenceService } from '../../core/isvc/mutate.js';
import { finish, type BuildContext } from './meta.js';

export const PREFILL_FOR = `${ANNOTATION_PREFIX}prefill-for`;

/**
 * Metadata copied from the service. An allow-list: Argo CD / Flux tracking labels and annotations
 * (app.kubernetes.io/instance, argocd.argoproj.io/*, kustomize.toolkit.fluxcd.io/*) must NOT be copied, or
 * the GitOps tool would claim the sibling and prune it, and the controller would recreate it, forever.
 */
const COPIED_ANNOTATIONS = [
  ANNOTATION_PREFIX,
  'serving.kserve.io/',
  'serving.knative.dev/',
  'autoscaling.knative.dev/',
  'sidecar.istio.io/',
];
const COPIED_LABELS = ['networking.knative.dev/', 'serving.kserve.io/', 'networking.kserve.io/'];
const NOT_COPIED = new Set([DEFAULTED_ANNOTATION, `${ANNOTATION_PREFIX}status`, CONTROLLER.hashAnnotation]);

function pick(map: Record<string, string> | undefined, prefixes: string[]): Record<string, string> {
  return Object.fromEntries(
    Object.entries(map ?? {}).filter(([k]) => !NOT_COPIED.has(k) && prefixes.some((p) => k.startsWith(p))),
  );
}

/**
 * KServe's runtimes pass `--served-model-name={{.Name}}`, which on the sibling would be `<name>-prefill`; the
 * EPP routes the pool's model, `<name>`, to prefill pods, so they must serve it under that name. vLLM's
 * argparse keeps the last occurrence, and KServe appends the predictor's args after the runtime's. A
 * user-given --served-model-name is kept: it already names the model for both roles.
 */
export function withServedModelName(args: string[] | undefined, name: string): string[] {
  const list = [...(args ?? [])];
  if (list.some((a) => a === '--served-model-name' || a.startsWith('--served-model-name='))) return list;
  return [...list, `--served-model-name=${name}`];
}

/** The sibling before the webhook's mutation (exported for tests). */
export function siblingDraft(isvc: InferenceService): InferenceService {
  const draft = structuredClone(isvc);
  // Take back what the webhook defaulted for the decode role (same mechanism as its opt-out path).
  new FieldWriter(draft as unknown as Record<string, unknown>, readRecord(isvc.metadata.annotations)).finish();
  const name = isvc.metadata.name ?? '';
  const model = draft.spec.predictor.model;
  if (model) model.args = withServedModelName(model.args, name);
  const { status: _status, ...rest } = draft as InferenceService & { status?: unknown };
  return {
    ...rest,
    metadata: {
      name: prefillSiblingName(name),
      namespace: isvc.metadata.namespace,
      labels: pick(isvc.metadata.labels, COPIED_LABELS),
      annotations: { ...pick(isvc.metadata.annotations, COPIED_ANNOTATIONS), [PREFILL_FOR]: name },
    },
  };
}

export function prefillSibling(ctx: BuildContext): KubeObject | undefined {
  if (ctx.settings.disaggregation !== 'prefill-decode') return undefined;
  const outcome = mutateInferenceService(siblingDraft(ctx.isvc), ctx.config.webhook);
  if (outcome.kind !== 'mutated') {
    throw new Error(
      `the prefill sibling ${prefillSiblingName(ctx.name)} is not ` +
        `accepted by the ` +
        `webhook: ${outcome.kind === 'denied' ? outcome.errors.join('; ') : 'not opted in'}`,
    );
  }
  const obj = outcome.object as unknown as KubeObject;
  if (Object.keys(obj.metadata?.labels ?? {}).length === 0) delete obj.metadata?.labels;
  return finish(ctx, obj, null);
}
