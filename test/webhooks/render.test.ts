import yaml from 'js-yaml';
import { defaultWebhookConfig } from '../../src/config.js';
import type { InferenceService } from '../../src/types/kube.js';
import { renderManifests } from '../../render/render.js';
import { EXAMPLES, exampleText } from '../support/fixtures.js';
import { expectValid } from '../support/schema.js';

const config = defaultWebhookConfig();

describe('render on every example', () => {
  // Each InferenceService, then what the routing controller keeps for it (controller/objects).
  const EXPECTED_KINDS: Record<string, string[]> = {
    'nvidia-basic': [
      'InferenceService',
      'ServiceAccount',
      'Role',
      'RoleBinding',
      'ConfigMap',
      'Deployment',
      'Service',
      'InferencePool',
    ],
    'nvidia-pd-scale-to-zero': [
      'InferenceService',
      'ServiceAccount',
      'Role',
      'RoleBinding',
      'ConfigMap',
      'Deployment',
      'Service',
      'InferencePool',
      'HTTPRoute',
      'InferenceService',
    ],
    'amd-kv-offload': [
      'InferenceService',
      'ServiceAccount',
      'Role',
      'RoleBinding',
      'ConfigMap',
      'Deployment',
      'Service',
      'InferencePool',
    ],
    tpu: [
      'InferenceService',
      'ServiceAccount',
      'Role',
      'RoleBinding',
      'ConfigMap',
      'Deployment',
      'Service',
      'Service', // precise-prefix: the tokenizer Service over the pool's pods
      'InferencePool',
    ],
  };

  it.each(EXAMPLES.filter((e) => e !== 'invalid-annotations'))(
    '%s: a valid, mutated InferenceService, its pod wiring and its routing objects',
    (name) => {
      const result = renderManifests(exampleText(name), config, name);
      expect(result.errors).toEqual([]);
      const docs = yaml.loadAll(result.output) as InferenceService[];
      expect(docs.map((d) => d.kind)).toEqual(EXPECTED_KINDS[name]);
      for (const doc of docs) expectValid(doc);
      expect(docs[0]!.spec.predictor.labels?.['kserve-llmd.io/pool']).toBe(docs[0]!.metadata.name);
      expect(result.output).toMatch(/^# kserve-llmd: pods of \S+ \(role [a-z-]+\) get at creation:/m);
      // Re-rendering the rendered output changes nothing (pre-rendered Git + webhook = no drift; no duplicates).
      const again = renderManifests(result.output, config, name);
      expect(yaml.loadAll(again.output)).toEqual(docs);
    },
  );

  it('P/D example shows the decode sidecar and the controller-created prefill pods', () => {
    const { output } = renderManifests(exampleText('nvidia-pd-scale-to-zero'), config);
    expect(output).toMatch(/pods of qwen-32b \(role decode\)/);
    // After KServe's storage-initializer, which its pod mutator adds before ours runs.
    expect(output).toMatch(/add \/spec\/initContainers\/1 .*"name":"routing-proxy"/);
    expect(output).toMatch(/pods of qwen-32b-prefill \(role prefill, created by the kserve-llmd controller\)/);
  });

  it('AMD offload example shows the tiered connector', () => {
    const { output } = renderManifests(exampleText('amd-kv-offload'), config);
    expect(output).toMatch(/OffloadingConnector.*cpu_bytes_to_use.*107374182400/);
    expect(output).toMatch(/runtime: kserve-llmd-vllm-amd/);
  });

  it('invalid example: every problem named, no output for it', () => {
    const result = renderManifests(exampleText('invalid-annotations'), config, 'invalid-annotations.yaml');
    expect(result.output).toBe('');
    expect(result.errors).toHaveLength(1);
    const [error] = result.errors;
    expect(error).toMatch(
      /^invalid-annotations.yaml document 1 \(InferenceService models\/broken\): kserve-llmd: 4 problems:/,
    );
    expect(error).toMatch(/did you mean "prefix-aware"/);
    expect(error).toMatch(/did you mean kserve-llmd.io\/decode-replicas/);
    expect(error).toMatch(/MIN 5 is greater than MAX 2/);
    expect(error).toMatch(/the cpu tier is required/);
  });

  it('passes other documents through and reports broken YAML', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\n' + exampleText('nvidia-basic');
    const result = renderManifests(text, config);
    expect(yaml.loadAll(result.output).map((d: any) => d.kind)).toEqual([
      'ConfigMap',
      ...EXPECTED_KINDS['nvidia-basic']!,
    ]);
    expect(renderManifests('a: [b', config, 'bad.yaml').errors[0]).toMatch(/^bad.yaml: not valid YAML/);
  });
});
