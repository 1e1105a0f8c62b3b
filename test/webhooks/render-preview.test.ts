/**
 * `render`'s pod preview is the pod KServe v0.20.0 and Knative build from our runtime (render/pod-preview.ts),
 * so the JSON patch `render` prints is the pod webhook's answer for the real pod, index for index.
 */
import fastJsonPatch, { type Operation } from 'fast-json-patch';
import { defaultWebhookConfig } from '../../src/config.js';
import { runtimeName } from '../../core/names.js';
import type { Container, InferenceService, Pod } from '../../src/types/kube.js';
import { mutateInferenceService } from '../../core/isvc/mutate.js';
import { mutatePod } from '../../webhooks/pod/mutate.js';
import { fillPlaceholders, mergeRuntimeContainer, previewPod } from '../../render/pod-preview.js';
import { renderManifests } from '../../render/render.js';
import { loadServingRuntimes } from '../../render/runtimes.js';
import { EXAMPLES, example, exampleText } from '../support/fixtures.js';
import { expectValid } from '../support/schema.js';
import { build } from '../manifests/helpers.js';

const config = defaultWebhookConfig();
const runtimes = loadServingRuntimes();

function mutated(name: string): InferenceService {
  const outcome = mutateInferenceService(example(name), config);
  if (outcome.kind !== 'mutated') throw new Error(`${name}: ${outcome.kind}`);
  return outcome.object;
}

/** The `#   op path value` lines render prints for the first pod block, parsed back into operations. */
function printedOps(output: string): Operation[] {
  const block = output.split('\n# kserve-llmd: pods of ')[0]!.split('\n');
  return block
    .map((l) => /^# {3}(add|replace|remove) (\S+)(?: (.*))?$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(
      ([, op, path, value]) =>
        ({ op, path, ...(value !== undefined ? { value: JSON.parse(value) } : {}) }) as Operation,
    );
}

describe('the serving runtimes render reads are the ones kustomize builds', () => {
  it('same six runtimes, field for field', () => {
    const built = build('serving-runtimes');
    expect([...runtimes.keys()].sort()).toEqual(built.map((r) => r.metadata.name).sort());
    for (const r of built) expect(runtimes.get(r.metadata.name)).toEqual(r);
  });
});

describe('the preview pod is built like the real one', () => {
  it('kserve-container: the runtime command line, model args appended, {{.Name}} filled, --port at index 2', () => {
    const isvc = mutated('nvidia-pd-scale-to-zero');
    const { pod, note } = previewPod(isvc, runtimes);
    expect(note).toBeUndefined();
    const main = pod.spec!.containers[0]!;
    const runtime = runtimes.get(runtimeName('nvidia'))!;
    const runtimeArgs = (runtime.spec.containers[0]!.args as string[]).map((a) => a.replace('{{.Name}}', 'qwen-32b'));
    // KServe v0.20.0 utils.MergeRuntimeContainers: runtime args, then the model's.
    expect(main.args).toEqual([...runtimeArgs, '--tensor-parallel-size=2']);
    expect(main.args!.slice(0, 3)).toEqual(['/mnt/models', '--served-model-name=qwen-32b', '--port=8000']);
    expect(main.command).toEqual(['vllm', 'serve']);
    expect(main.image).toBe('docker.io/vllm/vllm-openai:v0.27.1');
    // The model's resources merged key by key over the runtime's.
    expect(main.resources).toEqual({
      requests: { cpu: '8', memory: '160Gi' },
      limits: { memory: '160Gi', 'nvidia.com/gpu': '2' },
    });
  });

  it('Knative: one user-port, PORT/K_* env, readiness on queue-proxy, liveness on the user port, drain on stop', () => {
    const { pod } = previewPod(mutated('nvidia-basic'), runtimes);
    const [main, queue] = pod.spec!.containers as [Container, Container];
    expect(main.ports).toEqual([{ name: 'user-port', containerPort: 8000 }]);
    expect(main.readinessProbe).toBeUndefined();
    expect((main.livenessProbe as any).httpGet.port).toBe(8000);
    expect(main.env!.slice(-4).map((e) => e.name)).toEqual(['PORT', 'K_REVISION', 'K_CONFIGURATION', 'K_SERVICE']);
    expect(main.lifecycle).toEqual({ preStop: { httpGet: { path: '/wait-for-drain', port: 8022 } } });
    expect(queue.name).toBe('queue-proxy');
    expect(queue.env).toContainEqual({ name: 'USER_PORT', value: '8000' });
    expect(JSON.parse(queue.env!.find((e) => e.name === 'SERVING_READINESS_PROBE')!.value!)).toMatchObject({
      httpGet: { path: '/v1/models', port: 8000 },
    });
  });

  it('KServe’s pod mutator: storage-initializer first, the model volume mounted read-only at /mnt/models', () => {
    const { pod } = previewPod(mutated('nvidia-basic'), runtimes);
    expect(pod.spec!.initContainers!.map((c) => c.name)).toEqual(['storage-initializer']);
    expect(pod.spec!.initContainers![0]!.args).toEqual(['hf://meta-llama/Llama-3.1-8B-Instruct', '/mnt/models']);
    expect(pod.spec!.containers[0]!.volumeMounts!.at(-1)).toEqual({
      name: 'kserve-provision-location',
      mountPath: '/mnt/models',
      readOnly: true,
    });
    expect(pod.spec!.volumes!.map((v) => v.name)).toEqual(['dshm', 'tmp', 'kserve-provision-location']);
  });

  it('a runtime that is not ours: the model container alone, and render says so', () => {
    const isvc = mutated('nvidia-basic');
    isvc.spec.predictor.model!.runtime = 'my-own-vllm';
    const { pod, note } = previewPod(isvc, runtimes);
    expect(note).toMatch(/runtime my-own-vllm is not a kserve-llmd runtime/);
    expect(pod.spec!.containers[0]!.args).toEqual(['--max-model-len=8192']);
  });

  it('strategic merge: env by name, ports by containerPort, mounts by mountPath; KServe placeholders', () => {
    const merged = mergeRuntimeContainer(
      { name: 'kserve-container', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 8000 }], args: ['x'] },
      {
        env: [
          { name: 'A', value: '2' },
          { name: 'B', value: '3' },
        ],
        ports: [{ containerPort: 9000 }],
        args: ['y'],
      },
    );
    expect(merged).toEqual({
      name: 'kserve-container',
      env: [
        { name: 'A', value: '2' },
        { name: 'B', value: '3' },
      ],
      ports: [{ containerPort: 8000 }, { containerPort: 9000 }],
      args: ['x', 'y'],
    });
    expect(
      fillPlaceholders({ a: '--name={{.Name}}', b: '{{ .Namespace }}/x' }, { name: 'n', namespace: 'ns' }),
    ).toEqual({
      a: '--name=n',
      b: 'ns/x',
    });
  });
});

describe('render prints the pod webhook’s patch for that pod', () => {
  it.each(EXAMPLES.filter((e) => e !== 'invalid-annotations'))('%s: the printed operations are the patch', (name) => {
    const { output, errors } = renderManifests(exampleText(name), config, name);
    expect(errors).toEqual([]);
    const { pod } = previewPod(mutated(name), runtimes);
    const outcome = mutatePod(pod, config.injection);
    if (outcome.kind !== 'mutated') throw new Error('untouched');
    const patched = fastJsonPatch.applyPatch(structuredClone(pod), printedOps(output), true, false).newDocument as Pod;
    expect(patched).toEqual(outcome.object);
    expectValid(patched);
  });

  it('the decode patch moves vLLM’s --port where it really is and adds the sidecar after storage-initializer', () => {
    const ops = printedOps(renderManifests(exampleText('nvidia-pd-scale-to-zero'), config).output);
    expect(ops).toContainEqual({ op: 'replace', path: '/spec/containers/0/args/2', value: '--port=8200' });
    expect(ops.find((o) => o.path === '/spec/initContainers/1')).toMatchObject({
      op: 'add',
      value: { name: 'routing-proxy', args: expect.arrayContaining(['--vllm-port=8200']) },
    });
  });

  it('--native-sidecars=false shows the sidecar as a regular container', () => {
    const { output } = renderManifests(exampleText('nvidia-pd-scale-to-zero'), { ...config, nativeSidecars: 'false' });
    expect(output).toMatch(/add \/spec\/containers\/2 \{"name":"routing-proxy"/);
  });
});
