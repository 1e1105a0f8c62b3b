/**
 * Real tokens for `routing: precise-prefix`. The precise index is keyed by the engine's token blocks, so the
 * EPP's `token-producer` must tokenize as vLLM does: its vLLM backend POSTs `/v1/completions/render` and
 * `/v1/chat/completions/render` to `vllm.url` (default http://localhost:8000, i.e. inside the EPP pod, where
 * nothing serves). llm-d-router v0.9.0 documents two places to point it at: a `vllm launch render` sidecar, or
 * "the same model-serving pods" (pkg/epp/framework/plugins/requestcontrol/dataproducer/tokenizer/README.md,
 * "Migration"). We use the pool's own pods through this Service: they already have the model and its
 * tokenizer (whatever the storage URI), serve it under the name requests use, and `vllm serve` exposes the
 * render endpoints. On decode pods the routing sidecar on 8000 passes every path it does not handle to vLLM
 * (`mux.Handle("/", decoderProxy)`, pkg/sidecar/proxy/proxy.go, v0.9.0). While the pool is at zero a render
 * fails fast (no endpoints); the EPP logs it and scores without tokens (tokenizer README, "Failure mode").
 */
import type { KubeObject } from '../../src/kube.js';
import { LABELS, SERVING_PORT } from '../../core/names.js';
import type { InferenceService } from '../../src/types/kube.js';
import { childName, finish, type BuildContext } from './meta.js';

export function tokenizerName(service: string): string {
  return childName(service, 'tokenizer');
}

/** The `token-producer`'s `vllm.url`: this Service, by its cluster DNS name (the autoscaler's `.svc` form). */
export function tokenizerUrl(ctx: Pick<BuildContext, 'name' | 'namespace'>): string {
  return `http://${tokenizerName(ctx.name)}.${ctx.namespace}.svc:${SERVING_PORT}`;
}

/**
 * The model name render requests carry (`modelName`): the first `--served-model-name` in the predictor's args,
 * else the service name, which KServe's runtimes pass as `--served-model-name={{.Name}}` and the prefill
 * sibling serves too (prefill-sibling.ts). vLLM answers 404 for any other model name.
 */
export function servedModelName(isvc: InferenceService): string {
  const args = isvc.spec.predictor.model?.args ?? [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a.startsWith('--served-model-name=')) return a.slice('--served-model-name='.length).split(/\s+/)[0] ?? '';
    if (a === '--served-model-name' && args[i + 1]) return args[i + 1] as string;
  }
  return isvc.metadata.name ?? '';
}

export function tokenizerService(ctx: BuildContext): KubeObject | undefined {
  if (ctx.settings.routing !== 'precise-prefix') return undefined;
  return finish(
    ctx,
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: tokenizerName(ctx.name) },
      spec: {
        type: 'ClusterIP',
        // The InferencePool's selector: decode pods and the prefill sibling's, all serving the pool's model.
        selector: { [LABELS.pool]: ctx.name },
        ports: [{ name: 'http-render', port: SERVING_PORT, targetPort: SERVING_PORT, protocol: 'TCP' }],
      },
    },
    'tokenizer',
  );
}
