/**
 * The llm-d routing sidecar on decode pods (llm-d.md §3). Port layout (docs/port-layout.md):
 *   serving port (8000 in our runtimes): the sidecar on decode pods, vLLM itself on every other pod. Knative's
 *     queue-proxy forwards here (USER_PORT) and the InferencePool targets it, so it answers on every pod.
 *   vLLM behind the sidecar: `injection.vllmPortBehindSidecar` (8200, llm-d's decode layout), always passed to
 *     the sidecar as `--vllm-port`: its default differs by release (llm-d-router pkg/sidecar/proxy/options.go:
 *     `defaultVLLMPort = "8001"` at v0.9.0, "8200" from v0.10.0), and a proxy aimed at a port where nothing
 *     listens answers 502/503 to every request and readiness probe.
 * Two layouts, by what the API server accepts (native-sidecars.ts decides at start):
 *   native: an init container with `restartPolicy: Always` (Kubernetes ≥ 1.29; 1.28 with the SidecarContainers
 *     gate). It starts before vLLM (its startup probe gates the main containers) and stops after it.
 *   regular: one more container. vLLM and the proxy start together; the pod is Ready, and so gets traffic from
 *     the endpoint picker or Knative, only once every container is Ready, and queue-proxy's readiness probe
 *     (GET /v1/models on the serving port) passes only once the proxy answers and vLLM behind it does. At
 *     termination it waits for queue-proxy to drain first, as Knative makes every user container do.
 */
import type { Container, ContainerPort } from '../../../src/types/kube.js';
import { findPortArg, flagValue, vllmListenPort } from '../command-line.js';
import type { PodContext } from '../context.js';
import { mainContainer, type PodMutator } from './types.js';

export const SIDECAR_NAME = 'routing-proxy';
/** The sidecar's `--vllm-port` default at the pinned llm-d-router v0.9.0 (pkg/sidecar/proxy/options.go). */
export const SIDECAR_DEFAULT_VLLM_PORT = 8001;
/** Knative queue-proxy's admin port and drain path (knative-v1.23.0 pkg/networking/constants.go QueueAdminPort,
 * pkg/queue/constants.go RequestQueueDrainPath): the preStop hook Knative gives every user container. */
export const QUEUE_ADMIN_PORT = 8022;
export const QUEUE_DRAIN_PATH = '/wait-for-drain';

/**
 * The sidecar's flags, each as llm-d-router v0.9.0 pkg/sidecar/proxy/options.go defines it: `--port` (where it
 * listens), `--vllm-port` (where vLLM listens; deprecated in favour of `--model-server-port` only from v0.10.0,
 * still accepted there), `--kv-connector=nixlv2` (matches vLLM's NixlConnector), `--secure-proxy=false` (the
 * flag is `secure-proxy` in both releases; default true would serve TLS with a self-signed certificate, which
 * neither queue-proxy nor the gateway's plain-HTTP route to the pod expects).
 */
export function sidecarArgs(ctx: PodContext): string[] {
  return [
    `--port=${ctx.servingPort}`,
    `--vllm-port=${ctx.injection.vllmPortBehindSidecar}`,
    '--kv-connector=nixlv2',
    '--secure-proxy=false',
  ];
}

const SECURITY_CONTEXT = {
  runAsNonRoot: true,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

function baseContainer(ctx: PodContext): Container {
  const { injection, servingPort } = ctx;
  return {
    name: SIDECAR_NAME,
    image: injection.routingSidecarImage,
    imagePullPolicy: 'IfNotPresent',
    args: sidecarArgs(ctx),
    ports: [{ containerPort: servingPort, name: 'pd-proxy', protocol: 'TCP' }],
    // The sidecar answers GET /health itself (pkg/sidecar/proxy/proxy.go createRoutes at v0.9.0).
    readinessProbe: { httpGet: { path: '/health', port: servingPort }, periodSeconds: 5 },
    resources: {
      requests: { cpu: injection.sidecarResources.cpu, memory: injection.sidecarResources.memory },
      limits: { memory: injection.sidecarResources.memory },
    },
    securityContext: SECURITY_CONTEXT,
  };
}

/** The native sidecar: started before vLLM (the startup probe gates the main containers), stopped after it. */
export function sidecarContainer(ctx: PodContext): Container {
  return {
    ...baseContainer(ctx),
    restartPolicy: 'Always',
    startupProbe: { tcpSocket: { port: ctx.servingPort }, periodSeconds: 1, failureThreshold: 60 },
  };
}

/**
 * The sidecar as a regular container, for API servers without native sidecars. The proxy exits as soon as it
 * gets SIGTERM (it returns from Serve when Shutdown starts), so it waits, like Knative's user containers, for
 * queue-proxy to drain before it is signalled; without queue-proxy (KServe Standard mode) there is nothing to
 * wait on that the API server of Kubernetes 1.28 can express (no `sleep` action there).
 */
export function regularSidecarContainer(ctx: PodContext): Container {
  const c = baseContainer(ctx);
  if (ctx.queueProxy) c.lifecycle = { preStop: { httpGet: { path: QUEUE_DRAIN_PATH, port: QUEUE_ADMIN_PORT } } };
  return c;
}

/** Move vLLM from the serving port to the port behind the sidecar: its flag, declared port and probes. */
function moveVllm(main: Container, from: number, to: number): void {
  const args = [...(main.args ?? [])];
  const found = findPortArg(args);
  if (found) args.splice(found.index, found.width, `--port=${to}`);
  else args.push(`--port=${to}`);
  main.args = args;
  main.ports = (main.ports ?? []).map((p: ContainerPort) =>
    p.containerPort === from ? { ...p, containerPort: to } : p,
  );
  for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
    const spec = main[probe] as { httpGet?: { port?: unknown }; tcpSocket?: { port?: unknown } } | undefined;
    for (const handler of [spec?.httpGet, spec?.tcpSocket]) {
      if (handler && handler.port === from) handler.port = to;
    }
  }
}

/** A routing sidecar already in the pod (ours from an earlier invocation, or the author's), in either layout. */
export function existingSidecar(pod: { spec: { containers: Container[]; initContainers?: Container[] } }) {
  return [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find((c) => c?.name === SIDECAR_NAME);
}

/** Where a routing sidecar forwards to: its `--model-server-port` (v0.10+) or `--vllm-port`, if it says. */
export function sidecarUpstreamPort(sidecar: Container): number | undefined {
  const value = flagValue(sidecar, 'model-server-port') ?? flagValue(sidecar, 'vllm-port');
  const port = Number(value);
  return value !== undefined && Number.isInteger(port) ? port : undefined;
}

function checkExisting(sidecar: Container, main: Container): string[] {
  const vllm = vllmListenPort(main);
  const upstream = sidecarUpstreamPort(sidecar);
  if (upstream === undefined)
    return [
      `container ${SIDECAR_NAME} is already in the pod but sets no --vllm-port; its default depends on its release ` +
        `(${SIDECAR_DEFAULT_VLLM_PORT} at llm-d-router v0.9.0, 8200 from v0.10.0) while vLLM listens on ${vllm}: ` +
        `set --vllm-port=${vllm}`,
    ];
  if (upstream !== vllm)
    return [
      `container ${SIDECAR_NAME} forwards to port ${upstream} but vLLM listens on ${vllm}; kept as is, ` +
        'requests through it will fail until they agree',
    ];
  return [];
}

export const routingSidecarMutator: PodMutator = {
  name: 'routing-sidecar',
  wants: (ctx) => ctx.role === 'decode',
  needsArgs: true,
  apply(pod, ctx) {
    const main = mainContainer(pod, ctx);
    const existing = existingSidecar(pod);
    if (existing) return checkExisting(existing, main);
    moveVllm(main, ctx.servingPort, ctx.injection.vllmPortBehindSidecar);
    if (ctx.cluster.nativeSidecars)
      pod.spec.initContainers = [...(pod.spec.initContainers ?? []), sidecarContainer(ctx)];
    else pod.spec.containers.push(regularSidecarContainer(ctx));
    return [];
  },
};
