import fastJsonPatch from 'fast-json-patch';
import { defaultWebhookConfig } from '../../src/config.js';
import type { AdmissionResponse } from '../../webhooks/admission-types.js';
import type { InferenceService } from '../../src/types/kube.js';
import { createIsvcHandler } from '../../webhooks/isvc/handler.js';
import { mutateInferenceService } from '../../core/isvc/mutate.js';
import { isvc, review } from '../support/fixtures.js';
import { expectValid } from '../support/schema.js';

const P = 'kserve-llmd.io/';
const config = defaultWebhookConfig();
const handler = createIsvcHandler(config);

function admit(object: unknown, operation: 'CREATE' | 'UPDATE' = 'CREATE'): AdmissionResponse {
  return handler(review(object, operation).request!);
}

function applyResponse(object: InferenceService, response: AdmissionResponse): InferenceService {
  if (!response.patch) return object;
  const ops = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'));
  return fastJsonPatch.applyPatch(structuredClone(object), ops, true, false).newDocument as InferenceService;
}

function mutated(object: InferenceService): InferenceService {
  const response = admit(object);
  expect(response.allowed).toBe(true);
  const result = applyResponse(object, response);
  expectValid(result);
  return result;
}

function deniedMessage(object: unknown): string {
  const response = admit(object);
  expect(response.allowed).toBe(false);
  expect(response.status?.code).toBe(422);
  return response.status?.message ?? '';
}

describe('what the InferenceService webhook adds', () => {
  it('labels, autoscaler class, replica bounds, runtime and timeout for a plain NVIDIA service', () => {
    const out = mutated(isvc({ [`${P}routing`]: 'prefix-aware' }));
    const p = out.spec.predictor;
    expect(p.labels).toEqual({
      'llm-d.ai/inference-serving': 'true',
      'llm-d.ai/model': 'llama',
      'llm-d.ai/role': 'prefill-decode',
      'llm-d.ai/engine-type': 'vllm',
      'llm-d.ai/accelerator-vendor': 'nvidia',
      'kserve-llmd.io/accelerator': 'nvidia',
      'kserve-llmd.io/pool': 'llama',
    });
    expect(p.annotations).toEqual({ 'autoscaling.knative.dev/class': 'autoscaler.kserve-llmd.io' });
    expect([p.minReplicas, p.maxReplicas, p.timeout]).toEqual([1, 4, 600]);
    expect(p.model?.runtime).toBe('kserve-llmd-vllm-nvidia');
  });

  it.each([
    [{ 'amd.com/gpu': '4' }, 'amd', 'amd'],
    [{ 'google.com/tpu': '8' }, 'tpu', 'google'],
    [{ 'gpu.intel.com/i915': '1' }, 'intel-xpu', 'intel'],
    [{ 'habana.ai/gaudi': '8' }, 'gaudi', 'intel'],
    [{ cpu: '8', memory: '32Gi' }, 'cpu', 'cpu'],
  ])('infers the accelerator from %j → %s', (limits, accelerator, vendor) => {
    const out = mutated(
      isvc(
        { [`${P}routing`]: 'load-aware' },
        { model: { modelFormat: { name: 'vLLM' }, storageUri: 'hf://x/y', resources: { limits } } },
      ),
    );
    expect(out.spec.predictor.model?.runtime).toBe(`kserve-llmd-vllm-${accelerator}`);
    expect(out.spec.predictor.labels?.['llm-d.ai/accelerator-vendor']).toBe(vendor);
  });

  it('disaggregation makes the service the decode role; replicas from decode-replicas', () => {
    const out = mutated(isvc({ [`${P}disaggregation`]: 'prefill-decode', [`${P}decode-replicas`]: '0-6' }));
    expect(out.spec.predictor.labels?.['llm-d.ai/role']).toBe('decode');
    expect([out.spec.predictor.minReplicas, out.spec.predictor.maxReplicas]).toEqual([0, 6]);
  });

  it('the prefill sibling gets role prefill, the original pool and prefill-replicas', () => {
    const out = mutated(
      isvc(
        { [`${P}disaggregation`]: 'prefill-decode', [`${P}prefill-replicas`]: '0-8', [`${P}prefill-for`]: 'llama' },
        {},
        'llama-prefill',
      ),
    );
    expect(out.spec.predictor.labels).toMatchObject({
      'llm-d.ai/role': 'prefill',
      'kserve-llmd.io/pool': 'llama',
      'llm-d.ai/model': 'llama',
    });
    expect([out.spec.predictor.minReplicas, out.spec.predictor.maxReplicas]).toEqual([0, 8]);
  });

  it('leaves other model formats to KServe and warns', () => {
    const response = admit(
      isvc({ [`${P}routing`]: 'none' }, { model: { modelFormat: { name: 'sklearn' }, storageUri: 'gs://x' } }),
    );
    expect(response.allowed).toBe(true);
    expect(response.warnings?.join()).toMatch(/model format "sklearn" is not served/);
    const out = applyResponse(
      isvc({}, { model: { modelFormat: { name: 'sklearn' }, storageUri: 'gs://x' } }),
      response,
    );
    expect(out.spec.predictor.model?.runtime).toBeUndefined();
  });

  it('a custom-container predictor gets labels but no runtime', () => {
    const out = mutated(
      isvc(
        { [`${P}routing`]: 'load-aware' },
        {
          model: undefined,
          containers: [
            {
              name: 'kserve-container',
              image: 'vllm/vllm-openai:v0.27.1',
              resources: { limits: { 'nvidia.com/gpu': '1' } },
            },
          ],
        },
      ),
    );
    expect(out.spec.predictor.labels?.['kserve-llmd.io/accelerator']).toBe('nvidia');
    expect(out.spec.predictor.model).toBeUndefined();
  });

  it('Standard mode: no Knative class or timeout, and a warning', () => {
    const object = isvc({ [`${P}routing`]: 'prefix-aware', 'serving.kserve.io/deploymentMode': 'RawDeployment' });
    const response = admit(object);
    const out = applyResponse(object, response);
    expect(out.spec.predictor.annotations).toBeUndefined();
    expect(out.spec.predictor.timeout).toBeUndefined();
    expect(response.warnings?.join()).toMatch(/deployment mode Standard/);
  });
});

describe('never overwrites what the user wrote', () => {
  it.each([
    ['minReplicas set, no replica annotation', { minReplicas: 2 }, (p: any) => p.minReplicas, 2],
    ['maxReplicas set, no replica annotation', { maxReplicas: 10 }, (p: any) => p.maxReplicas, 10],
    ['timeout', { timeout: 120 }, (p: any) => p.timeout, 120],
    [
      'another runtime',
      {
        model: {
          modelFormat: { name: 'vLLM' },
          runtime: 'kserve-vllmserver',
          storageUri: 'hf://x/y',
          resources: { limits: { 'nvidia.com/gpu': '1' } },
        },
      },
      (p: any) => p.model.runtime,
      'kserve-vllmserver',
    ],
    ['an unrelated predictor label', { labels: { team: 'search' } }, (p: any) => p.labels.team, 'search'],
    [
      'an unrelated predictor annotation',
      { annotations: { 'sidecar.istio.io/inject': 'true' } },
      (p: any) => p.annotations['sidecar.istio.io/inject'],
      'true',
    ],
  ])('%s', (_label, predictor, pick, expected) => {
    const out = mutated(isvc({ [`${P}routing`]: 'prefix-aware' }, predictor));
    expect(pick(out.spec.predictor)).toEqual(expected);
  });

  it('accepts user fields equal to what kserve-llmd would set (and records nothing for them)', () => {
    const out = mutated(
      isvc(
        { [`${P}decode-replicas`]: '2-5' },
        { minReplicas: 2, maxReplicas: 5, labels: { 'llm-d.ai/role': 'prefill-decode' } },
      ),
    );
    const record = JSON.parse(out.metadata.annotations?.[`${P}defaulted`] ?? '{}');
    expect(record.spec.predictor.minReplicas).toBeUndefined();
    expect(record.spec.predictor.labels['llm-d.ai/role']).toBeUndefined();
    expect(record.spec.predictor.labels['llm-d.ai/model']).toBe('llama');
  });
});

describe('conflicts are denied with an explanation', () => {
  it.each([
    [
      'minReplicas vs decode-replicas',
      { [`${P}decode-replicas`]: '0-4' },
      { minReplicas: 2 },
      /spec.predictor.minReplicas is 2 but kserve-llmd.io\/decode-replicas is "0-4" \(minReplicas 0\); set one of them, not both/,
    ],
    [
      'maxReplicas vs decode-replicas',
      { [`${P}decode-replicas`]: '1-4' },
      { maxReplicas: 8 },
      /maxReplicas is 8 but kserve-llmd.io\/decode-replicas is "1-4"/,
    ],
    [
      'role label',
      { [`${P}disaggregation`]: 'prefill-decode' },
      { labels: { 'llm-d.ai/role': 'prefill' } },
      /spec.predictor.labels\["llm-d.ai\/role"\] is "prefill" but kserve-llmd needs "decode" \(disaggregation is "prefill-decode"\)/,
    ],
    [
      'pool label',
      { [`${P}routing`]: 'none' },
      { labels: { 'kserve-llmd.io/pool': 'other' } },
      /pool"\] is "other" but kserve-llmd needs "llama"/,
    ],
    [
      'KPA class on the predictor',
      { [`${P}routing`]: 'none' },
      { annotations: { 'autoscaling.knative.dev/class': 'kpa.autoscaling.knative.dev' } },
      /autoscaling.knative.dev\/class"\] is "kpa.autoscaling.knative.dev" but kserve-llmd scales this service with "autoscaler.kserve-llmd.io"/,
    ],
    [
      'our runtime for another accelerator',
      { [`${P}accelerator`]: 'nvidia' },
      {
        model: {
          modelFormat: { name: 'vLLM' },
          runtime: 'kserve-llmd-vllm-amd',
          storageUri: 'hf://x/y',
          resources: { limits: { 'nvidia.com/gpu': '1' } },
        },
      },
      /runtime is "kserve-llmd-vllm-amd" but the accelerator is "nvidia" \(runtime "kserve-llmd-vllm-nvidia"\)/,
    ],
  ])('%s', (_label, annotations, predictor, message) => {
    expect(deniedMessage(isvc(annotations, predictor))).toMatch(message);
  });

  it('a class on the InferenceService metadata conflicts too', () => {
    const object = isvc({ [`${P}routing`]: 'none', 'autoscaling.knative.dev/class': 'hpa.autoscaling.knative.dev' });
    expect(deniedMessage(object)).toMatch(
      /metadata.annotations\["autoscaling.knative.dev\/class"\] is "hpa.autoscaling.knative.dev"/,
    );
  });
});

describe('combinations that cannot work', () => {
  it.each([
    [
      'P/D on cpu',
      { [`${P}disaggregation`]: 'prefill-decode', [`${P}accelerator`]: 'cpu' },
      { model: { modelFormat: { name: 'vLLM' }, storageUri: 'hf://x/y' } },
      /disaggregation "prefill-decode" needs a GPU-class accelerator with NIXL KV transfer .* this service runs on "cpu"/,
    ],
    [
      'P/D on tpu',
      { [`${P}disaggregation`]: 'prefill-decode', [`${P}accelerator`]: 'tpu' },
      {
        model: {
          modelFormat: { name: 'vLLM' },
          storageUri: 'hf://x/y',
          resources: { limits: { 'google.com/tpu': '8' } },
        },
      },
      /runs on "tpu"/,
    ],
    [
      'P/D without routing',
      { [`${P}disaggregation`]: 'prefill-decode', [`${P}routing`]: 'none' },
      {},
      /needs kserve-llmd.io\/routing other than "none"/,
    ],
    [
      'P/D with decode at zero and a warm prefill pod',
      { [`${P}disaggregation`]: 'prefill-decode', [`${P}decode-replicas`]: '0-4', [`${P}prefill-replicas`]: '1-4' },
      {},
      /decode-replicas minimum 0 needs kserve-llmd.io\/prefill-replicas minimum 0 too: .* use prefill-replicas "0-4"/,
    ],
    [
      'gateway without routing',
      { [`${P}gateway`]: 'gw/main', [`${P}routing`]: 'none' },
      {},
      /gateway routes to an InferencePool/,
    ],
    [
      'prefill-replicas without P/D',
      { [`${P}prefill-replicas`]: '0-2' },
      {},
      /prefill-replicas has no effect without kserve-llmd.io\/disaggregation "prefill-decode"/,
    ],
    [
      'scale to zero in Standard mode',
      { [`${P}decode-replicas`]: '0-2', 'serving.kserve.io/deploymentMode': 'Standard' },
      {},
      /decode-replicas minimum 0 needs the Knative deployment mode: in Standard mode nothing buffers requests/,
    ],
    [
      'ModelMesh',
      { [`${P}routing`]: 'none', 'serving.kserve.io/deploymentMode': 'ModelMesh' },
      {},
      /ModelMesh is not supported/,
    ],
    [
      'accelerator vs resources',
      { [`${P}accelerator`]: 'amd' },
      {},
      /accelerator is "amd" but the predictor requests nvidia resources/,
    ],
    [
      'offload on cpu',
      { [`${P}kv-offload`]: 'cpu=10Gi', [`${P}accelerator`]: 'cpu' },
      { model: { modelFormat: { name: 'vLLM' }, storageUri: 'hf://x/y' } },
      /kv-offload moves KV cache from accelerator memory/,
    ],
    [
      'offload larger than the memory limit',
      { [`${P}kv-offload`]: 'cpu=100Gi' },
      {},
      /cpu=100Gi does not fit in the predictor's memory limit 48Gi/,
    ],
    [
      'prefill-for on a wrong name',
      { [`${P}prefill-for`]: 'llama' },
      {},
      /prefill-for is set by the kserve-llmd controller on "llama-prefill" only/,
    ],
  ])('%s', (_label, annotations, predictor, message) => {
    expect(deniedMessage(isvc(annotations, predictor))).toMatch(message);
  });

  it('lists every problem in one message', () => {
    const message = deniedMessage(
      isvc({ [`${P}disaggregation`]: 'prefill-decode', [`${P}routing`]: 'none', [`${P}gateway`]: 'gw/main' }),
    );
    expect(message).toMatch(/^kserve-llmd: 2 problems: \(1\) .*; \(2\) /);
  });

  it('a spec without a predictor is denied, not crashed on', () => {
    expect(
      deniedMessage({
        apiVersion: 'serving.kserve.io/v1beta1',
        kind: 'InferenceService',
        metadata: { name: 'x', annotations: { [`${P}routing`]: 'none' } },
        spec: {},
      }),
    ).toMatch(/spec.predictor is required/);
  });
});

describe('idempotence and GitOps', () => {
  const cases: Array<[string, InferenceService]> = [
    ['defaults', isvc({ [`${P}routing`]: 'prefix-aware' })],
    [
      'P/D + zero',
      isvc({ [`${P}disaggregation`]: 'prefill-decode', [`${P}decode-replicas`]: '0-4', [`${P}slo`]: 'ttft=1s' }),
    ],
    ['offload + user fields', isvc({ [`${P}kv-offload`]: 'cpu=10Gi' }, { timeout: 60, labels: { team: 'a' } })],
  ];

  it.each(cases)('%s: mutating the mutated object yields no patch', (_label, object) => {
    const once = mutated(object);
    const again = admit(once, 'UPDATE');
    expect(again).toEqual({ uid: expect.any(String), allowed: true });
  });

  it.each(cases)('%s: output is deterministic', (_label, object) => {
    expect(admit(object).patch).toBe(admit(structuredClone(object)).patch);
  });

  it('a changed replica annotation updates the bounds the webhook set earlier (client-side apply keeps them)', () => {
    const live = mutated(isvc({ [`${P}decode-replicas`]: '1-4' }));
    live.metadata.annotations![`${P}decode-replicas`] = '0-8';
    const out = mutated(live);
    expect([out.spec.predictor.minReplicas, out.spec.predictor.maxReplicas]).toEqual([0, 8]);
  });

  it('turning on disaggregation moves the role label the webhook set earlier', () => {
    const live = mutated(isvc({ [`${P}routing`]: 'prefix-aware' }));
    live.metadata.annotations![`${P}disaggregation`] = 'prefill-decode';
    expect(mutated(live).spec.predictor.labels?.['llm-d.ai/role']).toBe('decode');
  });

  it('a value the user changed after defaulting is theirs: conflicts are still denied', () => {
    const live = mutated(isvc({ [`${P}decode-replicas`]: '1-4' }));
    live.spec.predictor.minReplicas = 3; // kubectl edit
    live.metadata.annotations![`${P}decode-replicas`] = '0-4';
    expect(deniedMessage(live)).toMatch(/minReplicas is 3/);
  });

  it('opting out removes exactly what the webhook added', () => {
    const original = isvc({ [`${P}routing`]: 'prefix-aware' }, { labels: { team: 'a' }, timeout: 60 });
    const live = mutated(original);
    delete live.metadata.annotations![`${P}routing`];
    const out = mutated(live);
    const expected = structuredClone(original);
    delete expected.metadata.annotations![`${P}routing`];
    expect(out).toEqual(expected);
  });

  it('DELETE and services without our annotations are allowed untouched', () => {
    expect(handler(review(isvc({}), 'DELETE').request!)).toEqual({ uid: expect.any(String), allowed: true });
    expect(admit(isvc({ 'serving.kserve.io/deploymentMode': 'Knative' }))).toEqual({
      uid: expect.any(String),
      allowed: true,
    });
  });

  it('the pure core does not modify its input', () => {
    const object = isvc({ [`${P}disaggregation`]: 'prefill-decode' });
    const copy = structuredClone(object);
    mutateInferenceService(object, config);
    expect(object).toEqual(copy);
  });

  it('every response echoes the request uid', () => {
    const r = review(isvc({ [`${P}routing`]: 'bad' }));
    expect(handler(r.request!).uid).toBe(r.request!.uid);
  });
});

describe('a hand-edited defaulted record', () => {
  it('cannot make the webhook delete fields outside what it writes', () => {
    const object = isvc({
      [`${P}routing`]: 'prefix-aware',
      [`${P}defaulted`]: JSON.stringify({
        metadata: { labels: { team: 'a' } },
        spec: { predictor: { model: { storageUri: 'hf://meta-llama/Llama-3.1-8B-Instruct' } } },
      }),
    });
    object.metadata.labels = { team: 'a' };
    const copy = structuredClone(object);
    const out = mutated(object);
    expect(out.metadata.labels).toEqual({ team: 'a' });
    expect(out.spec.predictor.model?.storageUri).toBe('hf://meta-llama/Llama-3.1-8B-Instruct');
    expect(object).toEqual(copy);
  });
});
