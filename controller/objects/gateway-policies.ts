/**
 * What the configured gateway implementation needs beside the InferencePool so that it reaches the endpoint
 * picker, as upstream's router chart does per `provider.name` at llm-d-router v0.9.0
 * (config/charts/llm-d-router-gateway/templates/istio.yaml and gke.yaml). The EPP serves ext_proc with TLS
 * (self-signed; `--secure-serving` defaults to true, pkg/epp/server/options.go), so:
 * - istio: a DestinationRule for the EPP Service originating TLS without verifying the self-signed
 *   certificate (`mode: SIMPLE, insecureSkipVerify: true`); the chart's `networking.istio.io/v1beta1` is
 *   served as `v1` since Istio 1.22, which we use.
 * - gke: a HealthCheckPolicy (HTTP `/health` on the target port, 2 s interval and timeout) and a
 *   GCPBackendPolicy on the InferencePool. The chart's backend timeout is 300 s; ours is the predictor's
 *   timeout, as on our HTTPRoute (GKE ignores HTTPRoute timeouts, which the chart therefore leaves out), so a
 *   request held while the pool scales from zero is not cut. The chart's `logging.enabled: true` is a cost
 *   decision for the cluster operator and is not set here.
 * Each builder returns undefined unless its implementation is configured (controller/objects/index.ts only
 * watches these kinds then, since their CRDs exist only on such clusters).
 */
import type { KubeObject } from '../../src/kube.js';
import { SERVING_PORT } from '../../core/names.js';
import { eppName, finish, type BuildContext } from './meta.js';

/** The chart's default backend timeout, for a predictor without one. */
const GKE_DEFAULT_TIMEOUT_SEC = 300;

export function destinationRule(ctx: BuildContext): KubeObject | undefined {
  if (ctx.config.gatewayImplementation !== 'istio') return undefined;
  return finish(
    ctx,
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: eppName(ctx) },
      spec: {
        host: `${eppName(ctx)}.${ctx.namespace}.svc.${ctx.config.clusterDomain}`,
        trafficPolicy: { tls: { mode: 'SIMPLE', insecureSkipVerify: true } },
      },
    },
    'endpoint-picker',
  );
}

const poolTarget = (ctx: BuildContext) => ({
  group: 'inference.networking.k8s.io',
  kind: 'InferencePool',
  name: ctx.name,
});

export function healthCheckPolicy(ctx: BuildContext): KubeObject | undefined {
  if (ctx.config.gatewayImplementation !== 'gke') return undefined;
  return finish(
    ctx,
    {
      apiVersion: 'networking.gke.io/v1',
      kind: 'HealthCheckPolicy',
      metadata: { name: ctx.name },
      spec: {
        targetRef: poolTarget(ctx),
        default: {
          timeoutSec: 2,
          checkIntervalSec: 2,
          // 8000 answers /health on every pool pod: the routing sidecar on decode pods, vLLM elsewhere.
          config: { type: 'HTTP', httpHealthCheck: { requestPath: '/health', port: SERVING_PORT } },
        },
      },
    },
    'inference-pool',
  );
}

export function gcpBackendPolicy(ctx: BuildContext): KubeObject | undefined {
  if (ctx.config.gatewayImplementation !== 'gke') return undefined;
  const timeout = ctx.isvc.spec.predictor.timeout;
  return finish(
    ctx,
    {
      apiVersion: 'networking.gke.io/v1',
      kind: 'GCPBackendPolicy',
      metadata: { name: ctx.name },
      spec: {
        targetRef: poolTarget(ctx),
        default: { timeoutSec: typeof timeout === 'number' && timeout > 0 ? timeout : GKE_DEFAULT_TIMEOUT_SEC },
      },
    },
    'inference-pool',
  );
}
