/**
 * `kserve-llmd render`: the InferenceService mutation applied to YAML documents, for pre-rendering in CI
 * (Argo CD config management plugin, Flux post-build) and for seeing what the webhooks will do. Output is
 * only objects `kubectl apply` accepts; what each role's pods get at creation is written as YAML comments.
 * Each InferenceService is followed by the objects the routing controller keeps for it (controller/objects:
 * InferencePool, endpoint picker, HTTPRoute, prefill sibling), so pre-rendered GitOps gets the same result
 * without the controller. Re-rendering rendered output regenerates those objects instead of duplicating them.
 */
import yaml from 'js-yaml';
import { defaultControllerConfig, type ControllerConfig } from '../../controller/config.js';
import { desiredObjects } from '../../controller/objects/index.js';
import type { WebhookConfig } from '../../src/config.js';
import { ANNOTATION_PREFIX, CONTROLLER, prefillSiblingName } from '../../src/names.js';
import { isRecord, type InferenceService } from '../../src/types/kube.js';
import { jsonPatch } from '../admission.js';
import { denialMessage, mutateInferenceService } from '../isvc/mutate.js';
import { mutatePod } from '../pod/mutate.js';
import { previewPod } from './pod-preview.js';
import { loadServingRuntimes, type RuntimeCatalog } from './runtimes.js';

export interface RenderResult {
  output: string;
  errors: string[];
  warnings: string[];
}

const DUMP = { noRefs: true, lineWidth: -1 } as const;

function isIsvc(doc: unknown): doc is InferenceService {
  return (
    isRecord(doc) &&
    doc.kind === 'InferenceService' &&
    typeof doc.apiVersion === 'string' &&
    doc.apiVersion.startsWith('serving.kserve.io/')
  );
}

function describe(doc: InferenceService, index: number): string {
  const { namespace, name } = doc.metadata ?? {};
  return `document ${index + 1} (InferenceService ${namespace ? `${namespace}/` : ''}${name ?? '?'})`;
}

interface RenderContext {
  config: WebhookConfig;
  runtimes: RuntimeCatalog;
}

/**
 * The pod wiring a role gets, as comment lines: one JSON patch operation per line, against the pod KServe and
 * Knative build from the runtime (pod-preview.ts). `render` cannot ask a cluster, so `nativeSidecars: auto`
 * shows the native-sidecar layout (Kubernetes ≥ 1.29); `--native-sidecars=false` shows the other.
 */
function podComment(isvc: InferenceService, role: string, rc: RenderContext, note = ''): string[] {
  const { pod, note: previewNote } = previewPod(isvc, rc.runtimes);
  const outcome = mutatePod(pod, rc.config.injection, { nativeSidecars: rc.config.nativeSidecars !== 'false' });
  const lines = [`# kserve-llmd: pods of ${isvc.metadata.name} (role ${role}${note}) get at creation:`];
  if (previewNote) lines.push(`#   (${previewNote})`);
  if (outcome.kind === 'untouched') return [...lines, '#   nothing'];
  for (const op of jsonPatch(pod, outcome.object))
    lines.push(`#   ${op.op} ${op.path}${'value' in op ? ` ${JSON.stringify(op.value)}` : ''}`);
  return [...lines, ...outcome.warnings.map((w) => `#   warning: ${w}`)];
}

function prefillPreview(original: InferenceService, rc: RenderContext): string[] {
  const sibling = structuredClone(original);
  const annotations = {
    ...(sibling.metadata.annotations ?? {}),
    [`${ANNOTATION_PREFIX}prefill-for`]: original.metadata.name ?? '',
  };
  sibling.metadata = { ...sibling.metadata, name: prefillSiblingName(original.metadata.name ?? ''), annotations };
  const outcome = mutateInferenceService(sibling, rc.config);
  if (outcome.kind !== 'mutated') return [];
  return podComment(outcome.object, 'prefill', rc, ', created by the kserve-llmd controller');
}

/** Written by the controller (or an earlier render): regenerated from its InferenceService, not passed through. */
function generated(doc: unknown): boolean {
  return (
    isRecord(doc) &&
    isRecord(doc.metadata) &&
    isRecord(doc.metadata.annotations) &&
    CONTROLLER.hashAnnotation in doc.metadata.annotations
  );
}

let shippedRuntimes: RuntimeCatalog | undefined;

/**
 * `runtimes` defaults to the ClusterServingRuntimes this package ships (serving-runtimes/), read once; a
 * missing or unreadable directory is an error (render would otherwise print patches for a pod that does not
 * exist).
 */
export function renderManifests(
  text: string,
  config: WebhookConfig,
  source = 'input',
  controller?: ControllerConfig,
  runtimes: RuntimeCatalog = (shippedRuntimes ??= loadServingRuntimes()),
): RenderResult {
  const controllerConfig: ControllerConfig = controller ?? { ...defaultControllerConfig(), webhook: config };
  const rc: RenderContext = { config, runtimes };
  const errors: string[] = [];
  const warnings: string[] = [];
  let docs: unknown[];
  try {
    docs = yaml.loadAll(text);
  } catch (err) {
    return { output: '', errors: [`${source}: not valid YAML: ${(err as Error).message.split('\n')[0]}`], warnings };
  }
  const parts: string[] = [];
  docs.forEach((doc, index) => {
    if (doc === null || doc === undefined || generated(doc)) return;
    if (!isIsvc(doc)) {
      parts.push(yaml.dump(doc, DUMP));
      return;
    }
    const outcome = mutateInferenceService(doc, config);
    if (outcome.kind === 'denied') {
      errors.push(`${source} ${describe(doc, index)}: ${denialMessage(outcome.errors)}`);
      return;
    }
    if (outcome.kind === 'untouched') {
      parts.push(`# kserve-llmd: not opted in (no kserve-llmd.io/ annotations); unchanged\n${yaml.dump(doc, DUMP)}`);
      return;
    }
    warnings.push(...outcome.warnings.map((w) => `${source} ${describe(doc, index)}: ${w}`));
    const role = outcome.context?.role ?? 'prefill-decode';
    const comments = podComment(outcome.object, role, rc);
    if (role === 'decode') comments.push(...prefillPreview(doc, rc));
    parts.push(`${comments.join('\n')}\n${yaml.dump(outcome.object, DUMP)}`);
    const objects = desiredObjects(outcome.object, controllerConfig);
    if (objects.length > 0)
      parts.push(
        ...objects.map(
          (o, i) =>
            `${i === 0 ? `# kserve-llmd: kept by the routing controller for ${outcome.object.metadata.name}\n` : ''}${yaml.dump(o, DUMP)}`,
        ),
      );
  });
  return { output: parts.join('---\n'), errors, warnings };
}
