/**
 * A representative predictor pod for a mutated InferenceService, built the way KServe and Knative build it
 * (kserve-knative.md §1): predictor labels + `serving.kserve.io/inferenceservice` + `component`, the
 * InferenceService and predictor annotations minus `autoscaling.knative.dev/*`, and `kserve-container`
 * running the runtime's vLLM command line on the serving port. Used by `render` to show the pod wiring.
 */
import { LABELS, SERVING_PORT } from '../../src/names.js';
import type { Container, InferenceService, Pod } from '../../src/types/kube.js';

export function previewPod(isvc: InferenceService): Pod {
  const predictor = isvc.spec.predictor;
  const name = isvc.metadata.name ?? 'isvc';
  const annotations = Object.fromEntries(
    Object.entries({ ...(isvc.metadata.annotations ?? {}), ...(predictor.annotations ?? {}) }).filter(
      ([k]) => !k.startsWith('autoscaling.knative.dev/'),
    ),
  );
  const model = predictor.model;
  const custom = predictor.containers?.[0];
  const main: Container = custom
    ? structuredClone({ ...custom, name: 'kserve-container' })
    : {
        name: 'kserve-container',
        args: [`--port=${SERVING_PORT}`, `--served-model-name=${name}`, '--model=/mnt/models', ...(model?.args ?? [])],
        ports: [{ containerPort: SERVING_PORT, name: 'http1', protocol: 'TCP' }],
        ...(model?.resources ? { resources: structuredClone(model.resources) } : {}),
      };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${name}-predictor-00001-deployment-`,
      namespace: isvc.metadata.namespace,
      labels: {
        ...(isvc.metadata.labels ?? {}),
        ...(predictor.labels ?? {}),
        [LABELS.kserveIsvc]: name,
        component: 'predictor',
      },
      annotations,
    },
    spec: { containers: [main] },
  };
}
