/** Builders for InferenceServices, pods and AdmissionReviews used across the webhook tests. */
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import type { AdmissionReview, Operation } from '../../webhooks/admission-types.js';
import type { InferenceService, Pod } from '../../src/types/kube.js';

export const EXAMPLES = [
  'nvidia-basic',
  'nvidia-pd-scale-to-zero',
  'amd-kv-offload',
  'tpu',
  'invalid-annotations',
] as const;

export function exampleText(name: string): string {
  return readFileSync(new URL(`../../examples/${name}.yaml`, import.meta.url), 'utf8');
}

export function example(name: string): InferenceService {
  return yaml.load(exampleText(name)) as InferenceService;
}

/** A realistic NVIDIA InferenceService with the given annotations (and optional predictor fields). */
export function isvc(
  annotations: Record<string, string>,
  predictor: Record<string, unknown> = {},
  name = 'llama',
): InferenceService {
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name, namespace: 'models', annotations: { ...annotations } },
    spec: {
      predictor: {
        model: {
          modelFormat: { name: 'vLLM' },
          storageUri: 'hf://meta-llama/Llama-3.1-8B-Instruct',
          resources: { limits: { 'nvidia.com/gpu': '1', memory: '48Gi' }, requests: { cpu: '4', memory: '48Gi' } },
        },
        ...predictor,
      },
    },
  };
}

let counter = 0;

export function review(
  object: unknown,
  operation: Operation = 'CREATE',
  kind = 'InferenceService',
  oldObject?: unknown,
): AdmissionReview {
  counter += 1;
  const isPod = kind === 'Pod';
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
      kind: isPod ? { group: '', version: 'v1', kind } : { group: 'serving.kserve.io', version: 'v1beta1', kind },
      resource: isPod
        ? { group: '', version: 'v1', resource: 'pods' }
        : { group: 'serving.kserve.io', version: 'v1beta1', resource: 'inferenceservices' },
      namespace: 'models',
      operation,
      object: operation === 'DELETE' ? undefined : object,
      ...(oldObject !== undefined ? { oldObject } : {}),
    },
  };
}

/** A pod as Knative creates it for a revision of a mutated InferenceService's predictor. */
export function knativePod(
  labels: Record<string, string>,
  annotations: Record<string, string> = {},
  args: string[] = [],
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'llama-predictor-00001-deployment-5d9c8-',
      namespace: 'models',
      labels: {
        'serving.knative.dev/revision': 'llama-predictor-00001',
        'serving.kserve.io/inferenceservice': 'llama',
        component: 'predictor',
        ...labels,
      },
      annotations: {
        'serving.knative.dev/creator': 'system:serviceaccount:kserve:kserve-controller-manager',
        ...annotations,
      },
    },
    spec: {
      containers: [
        {
          name: 'kserve-container',
          image: 'docker.io/vllm/vllm-openai:v0.27.1',
          args: ['--port=8000', '--served-model-name=llama', '--model=/mnt/models', ...args],
          ports: [{ containerPort: 8000, name: 'user-port', protocol: 'TCP' }],
          env: [{ name: 'HF_HOME', value: '/tmp' }],
          resources: { limits: { 'nvidia.com/gpu': '1', memory: '48Gi' }, requests: { cpu: '4', memory: '48Gi' } },
          readinessProbe: { httpGet: { path: '/health', port: 8000 }, periodSeconds: 10 },
          startupProbe: { httpGet: { path: '/health', port: 8000 }, periodSeconds: 30, failureThreshold: 60 },
        },
        {
          name: 'queue-proxy',
          image: 'gcr.io/knative-releases/knative.dev/serving/cmd/queue@sha256:' + 'a'.repeat(64),
          ports: [{ containerPort: 8012, name: 'http-queueadm', protocol: 'TCP' }],
          env: [{ name: 'USER_PORT', value: '8000' }],
        },
      ],
    },
  };
}
