/**
 * The llm-d routing sidecar on decode pods (llm-d.md §3). Port layout (docs/port-layout.md):
 *   serving port (8000 in our runtimes): the sidecar on decode pods, vLLM itself on every other pod. Knative's
 *     queue-proxy forwards here (USER_PORT) and the InferencePool targets it, so it answers on every pod.
 *   vLLM behind the sidecar: 8200 (the sidecar's default `--vllm-port`).
 * A native sidecar (initContainer with restartPolicy Always, Kubernetes ≥ 1.28 with the SidecarContainers
 * gate, default on from 1.29) starts before vLLM and stops after it, so no request reaches a missing proxy.
 */
import type { Container, ContainerPort } from '../../../src/types/kube.js';
import { findPortArg, type PodContext } from '../context.js';
import { mainContainer, type PodMutator } from './types.js';

export const SIDECAR_NAME = 'routing-proxy';
/** llm-d-router pkg/sidecar/proxy/options.go: `defaultVLLMPort = "8200"`. */
const DEFAULT_SIDECAR_VLLM_PORT = 8200;

export function sidecarContainer(ctx: PodContext): Container {
  const { injection, servingPort } = ctx;
  // Flag names per llm-d-router pkg/sidecar/proxy/options.go. `--secure-proxy` is the older name of
  // `--secure-serving` (kept there as a deprecated alias), so it works on releases before and after the rename;
  // likewise `--vllm-port` for `--model-server-port`. The sidecar serves plain HTTP: queue-proxy and the
  // gateway reach it in-cluster, as they reach vLLM on every other pod.
  const args = [`--port=${servingPort}`, '--kv-connector=nixlv2', '--secure-proxy=false', '--zap-log-level=1'];
  if (injection.vllmPortBehindSidecar !== DEFAULT_SIDECAR_VLLM_PORT)
    args.push(`--vllm-port=${injection.vllmPortBehindSidecar}`);
  return {
    name: SIDECAR_NAME,
    image: injection.routingSidecarImage,
    imagePullPolicy: 'IfNotPresent',
    restartPolicy: 'Always',
    args,
    ports: [{ containerPort: servingPort, name: 'pd-proxy', protocol: 'TCP' }],
    // The startup probe gates the main containers: vLLM starts once the proxy listens.
    startupProbe: { tcpSocket: { port: servingPort }, periodSeconds: 1, failureThreshold: 60 },
    readinessProbe: { tcpSocket: { port: servingPort }, periodSeconds: 5 },
    resources: {
      requests: { cpu: injection.sidecarResources.cpu, memory: injection.sidecarResources.memory },
      limits: { memory: injection.sidecarResources.memory },
    },
    securityContext: {
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
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

export const routingSidecarMutator: PodMutator = {
  name: 'routing-sidecar',
  wants: (ctx) => ctx.role === 'decode',
  apply(pod, ctx) {
    const init = pod.spec.initContainers ?? [];
    if (init.some((c) => c.name === SIDECAR_NAME)) return [];
    if (ctx.argsBlocked) return [`routing sidecar not injected: ${ctx.argsBlocked}; this decode pod prefills locally`];
    moveVllm(mainContainer(pod, ctx), ctx.servingPort, ctx.injection.vllmPortBehindSidecar);
    pod.spec.initContainers = [...init, sidecarContainer(ctx)];
    return [];
  },
};
