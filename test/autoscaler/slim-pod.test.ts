/** The autoscaler caches slim pods; what it derives from them must not change. */
import { slimPod } from '../../autoscaler/loop/informer-view.js';
import { podInfo } from '../../autoscaler/loop/view.js';
import type { KubeObject } from '../../src/kube.js';
import { knativePod } from '../support/fixtures.js';

const running = (extra: Record<string, unknown> = {}, annotations: Record<string, string> = {}): KubeObject => {
  const pod = knativePod({ 'kserve-llmd.io/pool': 'llama' }, annotations) as unknown as Record<string, any>;
  pod.metadata = { ...pod.metadata, name: 'llama-predictor-00001-deployment-abc', uid: 'u1', resourceVersion: '7' };
  pod.status = {
    phase: 'Running',
    podIP: '10.0.0.7',
    conditions: [
      { type: 'PodScheduled', status: 'True' },
      { type: 'Ready', status: 'True' },
    ],
    containerStatuses: [{ name: 'kserve-container', ready: true }],
  };
  return { ...pod, ...extra } as KubeObject;
};

describe('slimPod', () => {
  it.each([
    ['ready, sidecar port', running({}, { 'kserve-llmd.io/vllm-port': '8200' })],
    ['ready, default port', running()],
    [
      'not ready',
      running({ status: { phase: 'Running', podIP: '10.0.0.8', conditions: [{ type: 'Ready', status: 'False' }] } }),
    ],
    ['pending, no IP', running({ status: { phase: 'Pending' } })],
    [
      'terminating',
      running({ metadata: { name: 'p', namespace: 'models', uid: 'u2', deletionTimestamp: '2026-11-25T00:00:00Z' } }),
    ],
  ])('%s: the same PodInfo as the full pod', (_label, pod) => {
    expect(podInfo(slimPod(pod) as never, 8000)).toEqual(podInfo(pod as never, 8000));
  });

  it('keeps identity, labels and resourceVersion, drops the spec and other annotations', () => {
    const slim = slimPod(running({}, { 'kserve-llmd.io/vllm-port': '8200' })) as Record<string, any>;
    expect(slim.spec).toBeUndefined();
    expect(slim.metadata).toMatchObject({
      uid: 'u1',
      resourceVersion: '7',
      labels: { 'kserve-llmd.io/pool': 'llama' },
      annotations: { 'kserve-llmd.io/vllm-port': '8200' },
    });
    expect(Object.keys(slim.metadata.annotations)).toEqual(['kserve-llmd.io/vllm-port']);
    expect(JSON.stringify(slim).length).toBeLessThan(JSON.stringify(running()).length / 2);
  });
});
