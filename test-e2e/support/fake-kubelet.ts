/**
 * Plays scheduler and kubelet for one namespace, through the API only (the control plane has neither): binds
 * pending pods to a Node object (POST pods/NAME/binding), reports them Running and Ready with every container
 * (and native sidecar) started (PATCH pods/NAME/status), and force-deletes pods being deleted (nothing would
 * confirm their termination). Pods get the host's non-loopback IPv4: Endpoints refuse loopback addresses, and
 * Knative's ServerlessService needs ready endpoints.
 */
import { hostIPv4 } from './env.js';
import { KubeError, type Kube, type Obj } from './kube.js';

export const NODE_NAME = 'kserve-llmd-e2e-node';

/** Decides, per pod about to become Ready, the port its (fake) vLLM serves on; undefined keeps the annotation. */
export type PortFor = (pod: Obj) => Promise<number | undefined> | number | undefined;

/** Where the pod webhook's kserve-llmd.io/vllm-port is kept when a test gives the pod its own port. */
export const WEBHOOK_PORT_ANNOTATION = 'e2e.kserve-llmd.io/webhook-vllm-port';

const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** The Node pods are bound to, Ready, with the host address; its Lease is renewed while a kubelet runs. */
export async function ensureNode(kube: Kube, ip = hostIPv4()): Promise<void> {
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: NODE_NAME, labels: { 'e2e.kserve-llmd.io': 'true' } },
  };
  await kube.create(node).catch((err: unknown) => {
    if (!(err instanceof KubeError && err.status === 409)) throw err;
  });
  const t = now();
  await kube.patch(
    { apiVersion: 'v1', kind: 'Node', name: NODE_NAME },
    {
      status: {
        conditions: [
          { type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: t, lastTransitionTime: t },
        ],
        addresses: [
          { type: 'InternalIP', address: ip },
          { type: 'Hostname', address: NODE_NAME },
        ],
        capacity: { cpu: '64', memory: '512Gi', pods: '250', 'nvidia.com/gpu': '8' },
        allocatable: { cpu: '64', memory: '512Gi', pods: '250', 'nvidia.com/gpu': '8' },
      },
    },
    { sub: 'status' },
  );
  await renewLease(kube);
}

async function renewLease(kube: Kube): Promise<void> {
  const lease = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: NODE_NAME, namespace: 'kube-node-lease' },
    // MicroTime: RFC 3339 with exactly six fractional digits (metav1.MicroTime), or the API server refuses it.
    spec: {
      holderIdentity: NODE_NAME,
      leaseDurationSeconds: 40,
      renewTime: new Date().toISOString().replace(/Z$/, '000Z'),
    },
  };
  await kube.apply(lease);
}

function readyStatus(pod: Obj, ip: string): Record<string, unknown> {
  const t = now();
  const running = (c: any) => ({
    name: c.name,
    image: c.image,
    imageID: `${c.image}@sha256:${'0'.repeat(64)}`,
    containerID: `containerd://${'e2e'.padEnd(64, '0')}`,
    ready: true,
    started: true,
    restartCount: 0,
    state: { running: { startedAt: t } },
  });
  const cond = (type: string) => ({ type, status: 'True', lastTransitionTime: t });
  return {
    status: {
      phase: 'Running',
      hostIP: ip,
      podIP: ip,
      podIPs: [{ ip }],
      startTime: t,
      conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map(cond),
      containerStatuses: (pod.spec.containers ?? []).map(running),
      // Native sidecars (restartPolicy Always) run beside the containers; classic init containers completed.
      initContainerStatuses: (pod.spec.initContainers ?? []).map((c: any) =>
        c.restartPolicy === 'Always'
          ? running(c)
          : {
              ...running(c),
              ready: false,
              started: false,
              state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: t, finishedAt: t } },
            },
      ),
    },
  };
}

export class FakeKubelet {
  private timer?: NodeJS.Timeout;
  private leaseTimer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly ip = hostIPv4();
  /** Pods made Ready, in order (name → port given). */
  readonly started = new Map<string, number | undefined>();
  errors: string[] = [];

  constructor(
    private readonly kube: Kube,
    private readonly namespace: string,
    private readonly portFor: PortFor = () => undefined,
  ) {}

  async start(): Promise<this> {
    await ensureNode(this.kube, this.ip);
    const loop = (): void => {
      this.running = this.pass()
        .catch((err: Error) => void this.errors.push(err.message))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(loop, 250);
        });
    };
    this.timer = setTimeout(loop, 0);
    this.leaseTimer = setInterval(() => void renewLease(this.kube).catch(() => undefined), 10_000);
    return this;
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    clearInterval(this.leaseTimer);
    await this.running;
  }

  /** One pass: bind, start, reap. */
  async pass(): Promise<void> {
    for (const pod of await this.kube.list('v1', 'Pod', this.namespace)) {
      const name = pod.metadata.name as string;
      const at = { apiVersion: 'v1', kind: 'Pod', namespace: this.namespace, name };
      if (pod.metadata.deletionTimestamp) {
        await this.kube.delete(at, { gracePeriodSeconds: 0 });
        continue;
      }
      if (!pod.spec.nodeName) {
        await this.kube.call('POST', `/api/v1/namespaces/${this.namespace}/pods/${name}/binding`, {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name },
          target: { apiVersion: 'v1', kind: 'Node', name: NODE_NAME },
        });
      }
      if (pod.status?.podIP) continue;
      const port = await this.portFor(pod);
      if (port !== undefined) {
        const was = pod.metadata.annotations?.['kserve-llmd.io/vllm-port'] ?? '';
        await this.kube.patch(at, {
          metadata: { annotations: { 'kserve-llmd.io/vllm-port': String(port), [WEBHOOK_PORT_ANNOTATION]: was } },
        });
      }
      await this.kube.patch(at, readyStatus(pod, this.ip), { sub: 'status' });
      this.started.set(name, port);
    }
  }
}
