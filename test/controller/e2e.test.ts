/** The controller end to end over real HTTP on the fake API server (webhook admission + schema validation). */
import { RESOURCES } from '../../src/kube.js';
import { CONTROLLER } from '../../core/names.js';
import { mutateInferenceService } from '../../core/isvc/mutate.js';
import { example } from '../support/fixtures.js';
import { eventually } from '../support/eventually.js';
import { startHarness, type Harness } from './harness.js';

const NS = 'models';
const ISVC = 'serving.kserve.io/v1beta1';
const kinds = (h: Harness, owner: string) =>
  [
    ['v1', 'ServiceAccount', `${owner}-epp`],
    ['rbac.authorization.k8s.io/v1', 'Role', `${owner}-epp`],
    ['rbac.authorization.k8s.io/v1', 'RoleBinding', `${owner}-epp`],
    ['v1', 'ConfigMap', `${owner}-epp`],
    ['apps/v1', 'Deployment', `${owner}-epp`],
    ['v1', 'Service', `${owner}-epp`],
    ['inference.networking.k8s.io/v1', 'InferencePool', owner],
    ['gateway.networking.k8s.io/v1', 'HTTPRoute', owner],
    [ISVC, 'InferenceService', `${owner}-prefill`],
  ].map(([v, k, n]) => ({ kind: k, obj: h.api.object(v!, k!, NS, n!) }));
const status = (h: Harness, name = 'qwen-32b') => {
  const text = h.api.object(ISVC, 'InferenceService', NS, name)?.metadata.annotations?.['kserve-llmd.io/status'];
  return text ? JSON.parse(text) : undefined;
};
const patchIsvc = (h: Harness, name: string, annotations: Record<string, string | null>) =>
  h.client.patch(RESOURCES.inferenceServices, NS, name, { metadata: { annotations } }, { type: 'merge' });

describe('routing controller end to end', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it(
    'create → every object appears, owned, schema-valid, and ' + 'the status says Ready; then nothing more is written',
    async () => {
      h = await startHarness();
      const isvc = await h.apply(example('nvidia-pd-scale-to-zero'));
      await eventually('Ready', () => status(h)?.state === 'Ready');
      await h.settle();
      for (const { kind, obj } of kinds(h, 'qwen-32b')) {
        expect({ kind, exists: obj !== undefined }).toEqual({ kind, exists: true });
        expect(obj!.metadata.ownerReferences).toEqual([
          { apiVersion: ISVC, kind: 'InferenceService', name: 'qwen-32b', uid: isvc.metadata.uid, controller: true },
        ]);
      }
      expect(status(h).objects).toHaveLength(9);
      // The sibling passed the webhook unchanged: running the webhook on it again changes nothing.
      const sibling = h.api.object(ISVC, 'InferenceService', NS, 'qwen-32b-prefill')!;
      const again = mutateInferenceService(sibling, h.config.webhook);
      expect(again.kind).toBe('mutated');
      expect((again as any).object).toEqual(sibling);
      expect(sibling.spec.predictor.labels['llm-d.ai/role']).toBe('prefill');
      expect(sibling.spec.predictor.model.args).toEqual(['--tensor-parallel-size=2', '--served-model-name=qwen-32b']);
      expect([sibling.spec.predictor.minReplicas, sibling.spec.predictor.maxReplicas]).toEqual([0, 8]);
      // User-visible: a Kubernetes Event and a CloudEvent.
      const events = h.api.objects('v1', 'Event', NS);
      expect(events.map((e) => [e.reason, e.type, e.involvedObject.name])).toEqual([
        ['RoutingReady', 'Normal', 'qwen-32b'],
      ]);
      await eventually('a CloudEvent', () => h.cloudEvents.length > 0);
      expect(h.cloudEvents[0]).toMatchObject({ type: 'dev.kserve-llmd.routing.ready', subject: 'models/qwen-32b' });
      // No loop on our own writes: a resync-equivalent burst of events writes nothing.
      const writes = h.api.calls.filter((c) => !['get', 'list', 'watch'].includes(c.verb)).length;
      for (const o of h.api.objects(ISVC, 'InferenceService', NS)) h.controller.queue.add(`${NS}/${o.metadata.name}`);
      await new Promise((r) => setTimeout(r, 300));
      await h.settle();
      expect(h.api.calls.filter((c) => !['get', 'list', 'watch'].includes(c.verb)).length).toBe(writes);
    },
  );

  it(
    'annotation changes update the EPP config (and roll the ' +
      'EPP); disaggregation off deletes the sibling; opt-out ' +
      'removes everything',
    async () => {
      h = await startHarness();
      await h.apply(example('nvidia-pd-scale-to-zero'));
      await eventually('Ready', () => status(h)?.state === 'Ready');
      await h.settle();
      const before = h.api.object('apps/v1', 'Deployment', NS, 'qwen-32b-epp')!;
      await patchIsvc(h, 'qwen-32b', { 'kserve-llmd.io/routing': 'load-aware' });
      await eventually(
        'the EPP config without the prefix-cache scorer',
        () =>
          !String(h.api.object('v1', 'ConfigMap', NS, 'qwen-32b-epp')!.data['epp-config.yaml']).includes(
            'prefix-cache-scorer',
          ),
      );
      await h.settle();
      const after = h.api.object('apps/v1', 'Deployment', NS, 'qwen-32b-epp')!;
      expect(after.spec.template.metadata.annotations[CONTROLLER.configHashAnnotation]).not.toBe(
        before.spec.template.metadata.annotations[CONTROLLER.configHashAnnotation],
      );

      await patchIsvc(h, 'qwen-32b', {
        'kserve-llmd.io/disaggregation': null,
        'kserve-llmd.io/prefill-replicas': null,
        'kserve-llmd.io/decode-replicas': '1-4',
      });
      await eventually(
        'sibling deleted',
        () => h.api.object(ISVC, 'InferenceService', NS, 'qwen-32b-prefill') === undefined,
      );
      await h.settle();
      expect(status(h).objects).toHaveLength(8);
      expect(h.api.object('v1', 'ConfigMap', NS, 'qwen-32b-epp')!.data['epp-config.yaml']).not.toMatch(
        /disagg|flowControl/,
      );

      // Predictor changes propagate to a sibling: turn P/D back on, then change the model args.
      await patchIsvc(h, 'qwen-32b', { 'kserve-llmd.io/disaggregation': 'prefill-decode' });
      await eventually(
        'the prefill sibling',
        () => h.api.object(ISVC, 'InferenceService', NS, 'qwen-32b-prefill') !== undefined,
      );
      await h.client.patch(
        RESOURCES.inferenceServices,
        NS,
        'qwen-32b',
        [{ op: 'replace', path: '/spec/predictor/model/args', value: ['--tensor-parallel-size=4'] }],
        { type: 'json' },
      );
      await eventually(
        'the sibling with --tensor-parallel-size=4',
        () =>
          h.api.object(ISVC, 'InferenceService', NS, 'qwen-32b-prefill')?.spec.predictor.model.args[0] ===
          '--tensor-parallel-size=4',
      );

      // Opting out (routing none) deletes every owned object and the status annotation.
      await patchIsvc(h, 'qwen-32b', {
        'kserve-llmd.io/routing': 'none',
        'kserve-llmd.io/disaggregation': null,
        'kserve-llmd.io/gateway': null,
      });
      await eventually('all removed', () => kinds(h, 'qwen-32b').every((k) => k.obj === undefined));
      await eventually('the status annotation removed', () => status(h) === undefined);
    },
  );

  it('deleting the InferenceService garbage-collects its objects', async () => {
    h = await startHarness();
    await h.apply(example('nvidia-pd-scale-to-zero'));
    await eventually('Ready', () => status(h)?.state === 'Ready');
    await h.client.delete(RESOURCES.inferenceServices, NS, 'qwen-32b');
    await eventually('cascade', () => kinds(h, 'qwen-32b').every((k) => k.obj === undefined));
    await eventually('the routing.removed CloudEvent', () =>
      h.cloudEvents.some((e) => e.type === 'dev.kserve-llmd.routing.removed'),
    );
  });

  it(
    'a foreign object in the way: conflict reported ' +
      '(annotation, Warning event), nothing overwritten; resolved ' +
      'once it is gone',
    async () => {
      h = await startHarness();
      h.api.seed({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'llama-8b-epp', namespace: NS },
        data: { mine: 'yes' },
      });
      await h.apply(example('nvidia-basic'));
      await eventually('Conflict', () => status(h, 'llama-8b')?.state === 'Conflict');
      const s = status(h, 'llama-8b');
      expect(s.problems.join()).toMatch(
        /ConfigMap\/llama-8b-epp: an existing ConfigMap "llama-8b-epp" is not created by kserve-llmd/,
      );
      expect(h.api.object('v1', 'ConfigMap', NS, 'llama-8b-epp')!.data).toEqual({ mine: 'yes' });
      await eventually('Warning event', () =>
        h.api.objects('v1', 'Event', NS).some((e) => e.reason === 'RoutingConflict' && e.type === 'Warning'),
      );
      // The user removes the foreign object; the periodic re-check picks it up.
      await h.client.delete(RESOURCES.configMaps, NS, 'llama-8b-epp');
      h.controller.queue.add(`${NS}/llama-8b`);
      await eventually('Ready after conflict', () => status(h, 'llama-8b')?.state === 'Ready');
      expect(h.api.object('v1', 'ConfigMap', NS, 'llama-8b-epp')!.metadata.labels['app.kubernetes.io/managed-by']).toBe(
        'kserve-llmd-controller',
      );
    },
  );

  it('invalid annotations (no webhook in front) change nothing and are reported', async () => {
    h = await startHarness();
    await h.apply(example('nvidia-basic'));
    await eventually('Ready', () => status(h, 'llama-8b')?.state === 'Ready');
    await h.settle();
    h.webhook.enabled = false;
    h.api.direct().patch(h.api.target(ISVC, 'InferenceService', NS, 'llama-8b'), 'application/merge-patch+json', {
      metadata: { annotations: { 'kserve-llmd.io/routing': 'prefix-awar' } },
    });
    await eventually('Invalid', () => status(h, 'llama-8b')?.state === 'Invalid');
    expect(status(h, 'llama-8b').problems[0]).toMatch(/did you mean "prefix-aware"/);
    expect(h.api.object('inference.networking.k8s.io/v1', 'InferencePool', NS, 'llama-8b')).toBeDefined();
  });

  it('API errors, dropped watches and a restarted server (compacted history): converges again', async () => {
    h = await startHarness();
    h.api.failNext(6, 500, (c) => c.verb === 'create' && c.resource !== 'inferenceservices');
    await h.apply(example('nvidia-pd-scale-to-zero'));
    await eventually('Ready despite errors', () => status(h)?.state === 'Ready');
    expect(h.api.calls.filter((c) => c.code === 500)).toHaveLength(6);

    h.api.dropWatches();
    await h.client.delete(RESOURCES.configMaps, NS, 'qwen-32b-epp'); // a user deletes an owned object
    await eventually(
      'recreated after dropped watch',
      () => h.api.object('v1', 'ConfigMap', NS, 'qwen-32b-epp') !== undefined,
    );

    await h.api.restart({ compact: true, downMs: 200 });
    h.api.direct().delete(h.api.target('inference.networking.k8s.io/v1', 'InferencePool', NS, 'qwen-32b'), undefined);
    await eventually(
      'recreated after restart',
      () => h.api.object('inference.networking.k8s.io/v1', 'InferencePool', NS, 'qwen-32b') !== undefined,
    );
  });
});
