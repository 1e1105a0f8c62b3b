/**
 * For `bench autoscaler-loop --api`: the cluster state the autoscaler's informers list and watch, on the
 * loopback fake API server (in the servers' child process, not the measured one). One PodAutoscaler,
 * Deployment and ServerlessService per revision, and its pods — Ready, podIP 127.0.0.1, the vLLM port
 * annotation pointing at that pod's fake /metrics server — shaped like Knative revision pods (owner
 * reference, containers with probes, resources and env, container statuses) so the informer cache holds
 * objects of a realistic size.
 */
import { AUTOSCALER_CLASS, KNATIVE_CLASS_ANNOTATION, POD_ANNOTATIONS } from '../core/names.js';
import { startFakeApiServer, type FakeApiServer } from '../test/support/fake-apiserver/index.js';

const PA_V = 'autoscaling.internal.knative.dev/v1alpha1';

/**
 * Revision i of `pas` (decode and prefill alternate per pool, 20 namespaces), as the bench's synthetic view names them.
 */
export function revisionName(i: number): { name: string; namespace: string; role: string; pool: string } {
  const pool = `svc-${Math.floor(i / 2)}`;
  const role = i % 2 === 0 ? 'decode' : 'prefill';
  return {
    name: `${pool}${role === 'prefill' ? '-prefill' : ''}-predictor-00001`,
    namespace: `ns-${i % 20}`,
    role,
    pool,
  };
}

function pod(
  rev: ReturnType<typeof revisionName>,
  j: number,
  port: number,
  labels: Record<string, string>,
): Record<string, unknown> {
  const container = (name: string, image: string, p: number) => ({
    name,
    image,
    ports: [{ name: 'http', containerPort: p, protocol: 'TCP' }],
    env: [
      { name: 'PORT', value: String(p) },
      { name: 'K_REVISION', value: rev.name },
      { name: 'K_SERVICE', value: rev.pool },
      { name: 'VLLM_LOGGING_LEVEL', value: 'INFO' },
    ],
    resources: {
      limits: { cpu: '8', memory: '64Gi', 'nvidia.com/gpu': '1' },
      requests: { cpu: '4', memory: '32Gi', 'nvidia.com/gpu': '1' },
    },
    readinessProbe: { httpGet: { path: '/health', port: p }, periodSeconds: 5, failureThreshold: 3 },
    volumeMounts: [
      { name: 'model', mountPath: '/mnt/models', readOnly: true },
      { name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
    ],
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${rev.name}-deployment-5d8f9c7b4-${String(j).padStart(5, 'x')}`,
      namespace: rev.namespace,
      labels: { ...labels, 'pod-template-hash': '5d8f9c7b4' },
      annotations: {
        [POD_ANNOTATIONS.vllmPort]: String(port),
        'serving.knative.dev/creator': 'system:serviceaccount:kserve:kserve-controller-manager',
      },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: `${rev.name}-deployment-5d8f9c7b4`,
          uid: `rs-${rev.name}`,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      containers: [
        container('kserve-container', 'vllm/vllm-openai:v0.27.1', 8000),
        container('queue-proxy', 'gcr.io/knative-releases/queue:v1.15', 8012),
      ],
      volumes: [{ name: 'model', persistentVolumeClaim: { claimName: 'models' } }],
      nodeName: `gpu-node-${j}`,
      serviceAccountName: 'default',
      terminationGracePeriodSeconds: 300,
    },
  };
}

export async function startBenchApi(pas: number, podsPer: number, ports: number[]): Promise<FakeApiServer> {
  const api = await startFakeApiServer({ bookmarkIntervalMs: 60_000 }); // kube-apiserver's cacher: a bookmark a minute
  const h = api.direct();
  for (let i = 0; i < pas; i++) {
    const rev = revisionName(i);
    const labels = {
      'llm-d.ai/role': rev.role,
      'kserve-llmd.io/pool': rev.pool,
      'serving.knative.dev/revision': rev.name,
      'serving.kserve.io/inferenceservice': rev.pool,
    };
    api.seed({
      apiVersion: PA_V,
      kind: 'PodAutoscaler',
      metadata: {
        name: rev.name,
        namespace: rev.namespace,
        labels,
        annotations: {
          [KNATIVE_CLASS_ANNOTATION]: AUTOSCALER_CLASS,
          'autoscaling.knative.dev/min-scale': '0',
          'autoscaling.knative.dev/max-scale': '8',
          'kserve-llmd.io/slo': 'ttft=1s,itl=50ms',
        },
      },
      spec: {
        protocolType: 'http1',
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `${rev.name}-deployment` },
      },
    });
    api.seed({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `${rev.name}-deployment`, namespace: rev.namespace, labels },
      spec: {
        replicas: podsPer,
        selector: { matchLabels: { 'serving.knative.dev/revision': rev.name } },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'kserve-container', image: 'vllm/vllm-openai:v0.27.1' }] },
        },
      },
    });
    api.seed({
      apiVersion: 'networking.internal.knative.dev/v1alpha1',
      kind: 'ServerlessService',
      metadata: { name: rev.name, namespace: rev.namespace, labels },
      spec: {
        mode: 'Serve',
        numActivators: 3,
        objectRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `${rev.name}-deployment` },
        protocolType: 'http1',
      },
    });
    for (let j = 0; j < podsPer; j++) {
      const p = api.seed(pod(rev, j, ports[i * podsPer + j] as number, labels));
      const status = {
        phase: 'Running',
        podIP: '127.0.0.1',
        hostIP: '10.0.0.1',
        startTime: '2026-11-25T08:00:00Z',
        qosClass: 'Burstable',
        conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
          type,
          status: 'True',
          lastTransitionTime: '2026-11-25T08:00:05Z',
        })),
        containerStatuses: ['kserve-container', 'queue-proxy'].map((name) => ({
          name,
          ready: true,
          started: true,
          restartCount: 0,
          image: name,
          imageID: `sha256:${'0'.repeat(64)}`,
          containerID: `containerd://${'1'.repeat(64)}`,
          state: { running: { startedAt: '2026-11-25T08:00:02Z' } },
        })),
      };
      h.patch(
        api.target('v1', 'Pod', rev.namespace, (p.metadata as { name: string }).name, 'status'),
        'application/merge-patch+json',
        { status },
      );
    }
  }
  return api;
}
