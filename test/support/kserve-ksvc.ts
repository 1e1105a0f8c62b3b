/**
 * KServe's step, rendered: the Knative Service KServe v0.20.0's InferenceService controller creates for a
 * predictor in Knative mode, from the (mutated) InferenceService and its ClusterServingRuntime. The end-to-end
 * suite applies it because KServe's controller is not part of the control plane it runs against; docs/e2e.md
 * has the same mapping as a table. Each step names its source in kserve/kserve at v0.20.0 (K: = pkg/controller/
 * v1beta1/inferenceservice/; KU: = pkg/controller/v1alpha1/utils/utils.go).
 *
 * Covered: what our runtimes and examples use (model + ClusterServingRuntime, storageUri, args, resources, env,
 * pod-level predictor fields, labels/annotations, replicas, scale target/metric, timeout, container
 * concurrency). Not covered, and refused rather than guessed: transformers/explainers, multi-node (workerSpec),
 * canary traffic, multiple storage URIs, non-model predictors, runtimes with a server-type annotation, template
 * placeholders other than {{.Name}} and {{.Namespace}}. Not rendered because they happen elsewhere: KServe's own
 * defaulting webhook, and its pod webhook (storage-initializer injection at pod creation).
 */
import { propertiesOf, strategicMerge } from './strategic-merge.js';

type KObject = Record<string, any>;

/** constants.go ServiceAnnotationDisallowedList (v0.20.0 lines 534-540): never copied to Knative. */
export const SERVICE_ANNOTATION_DISALLOWED = [
  'autoscaling.knative.dev/min-scale',
  'autoscaling.knative.dev/max-scale',
  'internal.serving.kserve.io/storage-initializer-sourceuri',
  'kubectl.kubernetes.io/last-applied-configuration',
  'modelFormat', // constants.go ModelFormatAnnotationKey (139)
];
/** constants.go RevisionTemplateLabelDisallowedList (542-544), the default ServiceLabelDisallowedList. */
export const REVISION_LABEL_DISALLOWED = ['networking.knative.dev/visibility'];
/** reconcilers/knative/ksvc_reconciler.go managedKsvcAnnotations (50-54): on the ksvc, not the template. */
const MANAGED_KSVC_ANNOTATIONS = [
  'serving.knative.dev/rollout-duration',
  'serving.knative.openshift.io/enablePassthrough',
];
const KPA = 'kpa.autoscaling.knative.dev';
/** constants.go DefaultMinReplicas (223). */
const DEFAULT_MIN_REPLICAS = 1;

/** v1beta1 ModelSpec fields that are not corev1.Container fields. */
const MODEL_ONLY = ['modelFormat', 'runtime', 'storageUri', 'storage', 'protocolVersion', 'runtimeVersion'];

const without = (m: Record<string, string> | undefined, keys: string[]): Record<string, string> =>
  Object.fromEntries(Object.entries(m ?? {}).filter(([k]) => !keys.includes(k)));

function refuseUnsupported(isvc: KObject, runtime: KObject): void {
  const spec = isvc.spec ?? {};
  const p = spec.predictor ?? {};
  const problems = [
    spec.transformer && 'spec.transformer',
    spec.explainer && 'spec.explainer',
    p.workerSpec && 'spec.predictor.workerSpec (multi-node)',
    p.canaryTrafficPercent !== undefined && 'spec.predictor.canaryTrafficPercent',
    p.storageUris && 'spec.predictor.storageUris',
    !p.model && 'a predictor without spec.predictor.model',
    p.name && 'spec.predictor.name',
    runtime.metadata?.annotations?.['serving.kserve.io/server-type'] && 'a runtime with serving.kserve.io/server-type',
  ].filter(Boolean);
  if (problems.length > 0) throw new Error(`renderKnativeService does not render ${problems.join(', ')}`);
}

/** K:utils/utils.go ReplacePlaceholders (324-336): a Go template over the container JSON with the isvc's metadata. */
function replacePlaceholders(container: KObject, meta: KObject): KObject {
  const text = JSON.stringify(container).replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_m, expr: string) => {
    if (expr === '.Name') return meta.name;
    if (expr === '.Namespace') return meta.namespace;
    throw new Error(`renderKnativeService: placeholder {{${expr}}} is not supported`);
  });
  return JSON.parse(text) as KObject;
}

/** K:utils/utils.go UpdateImageTag (339-355): runtimeVersion replaces the tag (digests are kept). */
function updateImageTag(container: KObject, runtimeVersion: string | undefined): void {
  if (!runtimeVersion || String(container.image).includes('@sha256:')) return;
  const image = String(container.image);
  container.image = /:[\w.\-_]*$/.test(image)
    ? image.replace(/:[\w.\-_]*$/, `:${runtimeVersion}`)
    : `${image}:${runtimeVersion}`;
}

/** KU: SetAutoScalingAnnotations (46-81). */
function setAutoscaling(annotations: Record<string, string>, p: KObject): void {
  annotations['autoscaling.knative.dev/class'] ??= KPA;
  if (p.scaleTarget !== undefined) annotations['autoscaling.knative.dev/target'] = String(p.scaleTarget);
  if (p.scaleMetric !== undefined) annotations['autoscaling.knative.dev/metric'] = String(p.scaleMetric);
  annotations['autoscaling.knative.dev/min-scale'] = String(p.minReplicas ?? DEFAULT_MIN_REPLICAS);
  if (p.maxReplicas) annotations['autoscaling.knative.dev/max-scale'] = String(p.maxReplicas);
}

/** K:components/predictor.go buildPodSpec (419-496) with utils.go MergeServingRuntimeAndInferenceServiceSpecs. */
function podSpecOf(isvc: KObject, runtime: KObject): KObject {
  const p = isvc.spec.predictor;
  const rs = runtime.spec;
  const target = (rs.containers ?? []).find((c: KObject) => c.name === 'kserve-container');
  if (!target) throw new Error('failed to find kserve-container in ServingRuntime containers');
  const modelContainer: KObject = Object.fromEntries(
    Object.entries(p.model as KObject).filter(([k]) => !MODEL_ONLY.includes(k)),
  );
  // MergeRuntimeContainers (253-263): strategic merge, then args concatenated (runtime first).
  let container = strategicMerge('Container', target, modelContainer);
  container.args = [...(target.args ?? []), ...(modelContainer.args ?? [])];
  if (container.args.length === 0) delete container.args;
  container.name ||= target.name;
  container = replacePlaceholders(container, isvc.metadata);
  updateImageTag(container, p.model.runtimeVersion);
  // MergePodSpec (267-297): only these runtime pod fields, overridden by the predictor's pod fields.
  const runtimePod = Object.fromEntries(
    ['nodeSelector', 'affinity', 'tolerations', 'volumes', 'imagePullSecrets', 'schedulerName']
      .filter((k) => rs[k] !== undefined)
      .map((k) => [k, rs[k]]),
  );
  const podFields = propertiesOf('PodSpec');
  const predictorPod = Object.fromEntries(Object.entries(p).filter(([k]) => podFields.includes(k)));
  const pod = strategicMerge('PodSpec', runtimePod, predictorPod);
  // predictor.go 450-493: the merged container, other runtime containers, other predictor containers.
  pod.containers = [
    container,
    ...(rs.containers ?? []).filter((c: KObject) => c.name !== 'kserve-container'),
    ...(p.containers ?? []),
  ];
  // predictor.go 152-157: INFERENCE_SERVICE_NAME on every container (overwritten if present).
  for (const c of pod.containers as KObject[]) {
    const env = (c.env ?? []).filter((e: KObject) => e.name !== 'INFERENCE_SERVICE_NAME');
    c.env = [...env, { name: 'INFERENCE_SERVICE_NAME', value: isvc.metadata.name }];
  }
  return pod;
}

/** The Knative Service `<name>-predictor` KServe v0.20.0 creates for `isvc` on `runtime`. */
export function renderKnativeService(isvc: KObject, runtime: KObject): KObject {
  refuseUnsupported(isvc, runtime);
  const p = isvc.spec.predictor;
  // predictor.go 100-120: the isvc's annotations minus the disallowed ones, plus the storage URI for the
  // storage initializer (KServe's pod webhook reads it at pod creation).
  const isvcAnnotations = without(isvc.metadata.annotations, SERVICE_ANNOTATION_DISALLOWED);
  if (p.model.storageUri)
    isvcAnnotations['internal.serving.kserve.io/storage-initializer-sourceuri'] = p.model.storageUri;
  // predictor.go 161-172 + buildObjectMeta 498-519: runtime < isvc < predictor, plus KServe's own labels.
  const labels = {
    ...(runtime.spec.labels ?? {}),
    ...(isvc.metadata.labels ?? {}),
    ...(p.labels ?? {}),
    'serving.kserve.io/inferenceservice': isvc.metadata.name,
    component: 'predictor',
  };
  const annotations: Record<string, string> = {
    ...without(runtime.spec.annotations, SERVICE_ANNOTATION_DISALLOWED),
    ...isvcAnnotations,
    ...without(p.annotations, SERVICE_ANNOTATION_DISALLOWED),
  };
  setAutoscaling(annotations, p);
  // ksvc_reconciler.go 102-121: SetAutoScalingAnnotations on the merged annotations, then rollout-duration and the
  // OpenShift passthrough go on the ksvc itself.
  const ksvcAnnotations: Record<string, string> = {};
  for (const k of MANAGED_KSVC_ANNOTATIONS)
    if (k in annotations) {
      ksvcAnnotations[k] = annotations[k]!;
      delete annotations[k];
    }
  const timeout = p.timeout;
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: {
      name: `${isvc.metadata.name}-predictor`, // constants.go PredictorServiceName (799-804)
      namespace: isvc.metadata.namespace,
      labels,
      ...(Object.keys(ksvcAnnotations).length > 0 ? { annotations: ksvcAnnotations } : {}),
      // predictor.go 873: controllerutil.SetControllerReference(isvc, ksvc)
      ...(isvc.metadata.uid
        ? {
            ownerReferences: [
              {
                apiVersion: isvc.apiVersion,
                kind: isvc.kind,
                name: isvc.metadata.name,
                uid: isvc.metadata.uid,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          }
        : {}),
    },
    spec: {
      template: {
        // ksvc_reconciler.go 166-168 (label filter) and 192-216.
        metadata: { labels: without(labels, REVISION_LABEL_DISALLOWED), annotations },
        spec: {
          ...(timeout !== undefined ? { timeoutSeconds: timeout, responseStartTimeoutSeconds: timeout } : {}),
          ...(p.containerConcurrency !== undefined ? { containerConcurrency: p.containerConcurrency } : {}),
          ...podSpecOf(isvc, runtime),
        },
      },
      // ksvc_reconciler.go 132-165: no canary → all traffic to the latest revision.
      traffic: [{ latestRevision: true, percent: 100 }],
    },
  };
}
