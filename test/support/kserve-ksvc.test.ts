/**
 * The KServe v0.20.0 Knative Service renderer the end-to-end suite applies (test/support/kserve-ksvc.ts), and
 * the strategic merge it uses. Runs without a cluster: the rendered service must pass Knative's Service CRD
 * schema and carry what KServe's code puts there (docs/e2e.md, "KServe's step").
 */
import { defaultWebhookConfig } from '../../src/config.js';
import { mutateInferenceService } from '../../core/isvc/mutate.js';
import { example } from './fixtures.js';
import { kustomizeBuild } from './kustomize.js';
import { renderKnativeService } from './kserve-ksvc.js';
import { validateObject } from './schema.js';
import { strategicMerge } from './strategic-merge.js';
import { repo } from '../manifests/helpers.js';

const runtime = (accelerator: string) =>
  kustomizeBuild(repo('serving-runtimes')).find((r) => r.metadata.name === `kserve-llmd-vllm-${accelerator}`)!;

function mutated(name: string): any {
  const outcome = mutateInferenceService(example(name), defaultWebhookConfig());
  if (outcome.kind !== 'mutated') throw new Error(`${name}: ${outcome.kind}`);
  return { ...outcome.object, metadata: { ...outcome.object.metadata, uid: 'u-1' } };
}

describe('renderKnativeService (KServe v0.20.0 predictor → Knative Service)', () => {
  it('the P/D example on the NVIDIA runtime: schema-valid, labels, annotations, scale bounds, container', () => {
    const isvc = mutated('nvidia-pd-scale-to-zero');
    const ksvc = renderKnativeService(isvc, runtime('nvidia'));
    expect(validateObject(ksvc)).toEqual([]);
    expect(ksvc.metadata).toMatchObject({
      name: 'qwen-32b-predictor',
      namespace: 'models',
      ownerReferences: [{ kind: 'InferenceService', name: 'qwen-32b', uid: 'u-1', controller: true }],
    });
    const t = ksvc.spec.template;
    expect(t.metadata.labels).toMatchObject({
      'llm-d.ai/role': 'decode',
      'kserve-llmd.io/pool': 'qwen-32b',
      'llm-d.ai/accelerator-variant': 'gpu', // the runtime's spec.labels
      'serving.kserve.io/inferenceservice': 'qwen-32b',
      component: 'predictor',
    });
    expect(t.metadata.annotations).toMatchObject({
      'autoscaling.knative.dev/class': 'autoscaler.kserve-llmd.io',
      'autoscaling.knative.dev/min-scale': '0',
      'autoscaling.knative.dev/max-scale': '4',
      'kserve-llmd.io/disaggregation': 'prefill-decode',
      'serving.knative.dev/progress-deadline': '1800s', // the runtime's spec.annotations
      'internal.serving.kserve.io/storage-initializer-sourceuri': 'hf://Qwen/Qwen3-32B',
    });
    expect(t.spec).toMatchObject({ timeoutSeconds: 600, responseStartTimeoutSeconds: 600 });
    expect(t.spec.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    const [c] = t.spec.containers;
    expect(c.name).toBe('kserve-container');
    expect(c.image).toBe('docker.io/vllm/vllm-openai:v0.27.1');
    // Runtime args first, the service's appended; {{.Name}} replaced.
    expect(c.args).toEqual([
      '/mnt/models',
      '--served-model-name=qwen-32b',
      '--port=8000',
      '--disable-access-log-for-endpoints=/health,/metrics,/v1/models',
      '--shutdown-timeout=45',
      '--tensor-parallel-size=2',
    ]);
    // The service's resources merged key by key over the runtime's.
    expect(c.resources).toEqual({
      limits: { 'nvidia.com/gpu': '2', memory: '160Gi' },
      requests: { cpu: '8', memory: '160Gi' },
    });
    expect(c.env.at(-1)).toEqual({ name: 'INFERENCE_SERVICE_NAME', value: 'qwen-32b' });
    expect(ksvc.spec.traffic).toEqual([{ latestRevision: true, percent: 100 }]);
  });

  it('min-scale and max-scale come from minReplicas/maxReplicas only; KPA when no class is set', () => {
    const isvc = mutated('nvidia-basic');
    isvc.metadata.annotations['autoscaling.knative.dev/min-scale'] = '7';
    const plain = renderKnativeService(isvc, runtime('nvidia'));
    expect(plain.spec.template.metadata.annotations['autoscaling.knative.dev/min-scale']).toBe('1');
    delete isvc.spec.predictor.annotations;
    const noClass = structuredClone(runtime('nvidia'));
    delete noClass.spec.annotations['autoscaling.knative.dev/class'];
    expect(
      renderKnativeService(isvc, noClass).spec.template.metadata.annotations['autoscaling.knative.dev/class'],
    ).toBe('kpa.autoscaling.knative.dev');
  });

  it('refuses what it does not render instead of guessing', () => {
    const isvc = mutated('nvidia-basic');
    isvc.spec.transformer = { containers: [] };
    expect(() => renderKnativeService(isvc, runtime('nvidia'))).toThrow(/spec\.transformer/);
    const odd = mutated('nvidia-basic');
    odd.spec.predictor.model.args = ['--x={{.Labels.team}}'];
    expect(() => renderKnativeService(odd, runtime('nvidia'))).toThrow(/placeholder/);
  });
});

describe('strategicMerge (core/v1 merge keys from the OpenAPI)', () => {
  it('merges env by name and ports by containerPort, replaces args, deletes on null', () => {
    const merged = strategicMerge(
      'Container',
      {
        name: 'c',
        args: ['a'],
        env: [{ name: 'A', value: '1' }],
        ports: [{ containerPort: 80, name: 'x' }],
        tty: true,
      },
      {
        args: ['b'],
        env: [
          { name: 'A', value: '2' },
          { name: 'B', value: '3' },
        ],
        ports: [{ containerPort: 81 }],
        tty: null,
      },
    );
    expect(merged).toEqual({
      name: 'c',
      args: ['b'],
      env: [
        { name: 'A', value: '2' },
        { name: 'B', value: '3' },
      ],
      ports: [{ containerPort: 80, name: 'x' }, { containerPort: 81 }],
    });
  });

  it('volumes merge by name and keep only the patch element keys (retainKeys); tolerations are replaced', () => {
    const merged = strategicMerge(
      'PodSpec',
      { volumes: [{ name: 'v', emptyDir: {} }], tolerations: [{ key: 'a' }] },
      { volumes: [{ name: 'v', configMap: { name: 'c' } }], tolerations: [{ key: 'b' }] },
    );
    expect(merged).toEqual({ volumes: [{ name: 'v', configMap: { name: 'c' } }], tolerations: [{ key: 'b' }] });
  });
});
