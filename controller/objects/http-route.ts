/**
 * The HTTPRoute from a Gateway to the InferencePool (Gateway API v1; GIE backendRef group
 * inference.networking.k8s.io, kind InferencePool). Clients call `/<namespace>/<name>/v1/...` on the gateway
 * (KServe LLMInferenceService's route layout), rewritten to `/v1/...`, so many services share one gateway.
 * None when neither the annotation nor the controller names a gateway.
 */
import type { KubeObject } from '../../src/kube.js';
import { finish, type BuildContext } from './meta.js';

export function httpRoute(ctx: BuildContext): KubeObject | undefined {
  const gateway = ctx.settings.gateway ?? ctx.config.defaultGateway;
  if (!gateway) return undefined;
  // The route waits as long as the predictor does: a request held at zero replicas (flow control) must not be
  // cut by the gateway's default timeout (often 15 s) while a model loads. The webhook defaults `timeout`.
  // GKE's gateway does not take HTTPRoute timeouts (upstream's router chart at v0.9.0 leaves them out there,
  // config/charts/llm-d-router-gateway/templates/httproute.yaml); the GCPBackendPolicy carries it instead.
  const timeout = ctx.config.gatewayImplementation === 'gke' ? undefined : ctx.isvc.spec.predictor.timeout;
  return finish(
    ctx,
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: ctx.name },
      spec: {
        parentRefs: [
          { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: gateway.namespace, name: gateway.name },
        ],
        rules: [
          {
            matches: [{ path: { type: 'PathPrefix', value: `/${ctx.namespace}/${ctx.name}/` } }],
            filters: [
              { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } },
            ],
            backendRefs: [{ group: 'inference.networking.k8s.io', kind: 'InferencePool', name: ctx.name }],
            ...(typeof timeout === 'number' && timeout > 0 ? { timeouts: { request: `${timeout}s` } } : {}),
          },
        ],
      },
    },
    'route',
  );
}
