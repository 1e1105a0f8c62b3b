/**
 * The InferencePool (GIE inference.networking.k8s.io/v1, llm-d.md §1): every pod of the service and of its
 * prefill sibling (label kserve-llmd.io/pool, set by the webhook on both), the port the gateway sends
 * requests to, and the endpoint picker that chooses among them.
 */
import type { KubeObject } from '../../src/kube.js';
import { EPP_PORTS, LABELS, SERVING_PORT } from '../../core/names.js';
import { eppName, finish, type BuildContext } from './meta.js';

export function inferencePool(ctx: BuildContext): KubeObject {
  return finish(
    ctx,
    {
      apiVersion: 'inference.networking.k8s.io/v1',
      kind: 'InferencePool',
      metadata: { name: ctx.name },
      spec: {
        selector: { matchLabels: { [LABELS.pool]: ctx.name } },
        // The port layout (webhooks/pod/mutators/routing-sidecar.ts): 8000 answers on every pod — the P/D routing
        // sidecar on decode pods, vLLM itself elsewhere — and serves /metrics there for the EPP's scraper.
        targetPorts: [{ number: SERVING_PORT }],
        endpointPickerRef: {
          group: '',
          kind: 'Service',
          name: eppName(ctx),
          port: { number: EPP_PORTS.grpc },
          failureMode: ctx.config.eppFailureMode,
        },
      },
    },
    'inference-pool',
  );
}
