/**
 * Predictor labels. KServe copies `spec.predictor.labels` to the Knative revision template, so they reach
 * every pod and the PodAutoscaler (kserve-knative.md §1). llm-d reads them: the role filters select on
 * `llm-d.ai/role`, the metrics extractor on `llm-d.ai/engine-type`, KV-event pod discovery on
 * `llm-d.ai/inference-serving` (llm-d.md §1). The InferencePool selects on `kserve-llmd.io/pool`.
 */
import { ACCELERATOR_VENDOR, LABELS } from '../../names.js';
import type { IsvcContext } from '../context.js';
import { echo } from '../../echo.js';
import type { IsvcMutator } from './types.js';

export function desiredLabels(ctx: IsvcContext): Record<string, string> {
  return {
    [LABELS.inferenceServing]: 'true',
    [LABELS.model]: ctx.pool,
    [LABELS.role]: ctx.role,
    [LABELS.engineType]: 'vllm',
    [LABELS.acceleratorVendor]: ACCELERATOR_VENDOR[ctx.accelerator],
    [LABELS.accelerator]: ctx.accelerator,
    [LABELS.pool]: ctx.pool,
  };
}

export const labelsMutator: IsvcMutator = {
  name: 'labels',
  apply(draft, ctx, writer) {
    for (const [key, value] of Object.entries(desiredLabels(ctx))) {
      // A metadata label reaches the pods too, but the predictor label wins (KServe: predictor > ISVC > runtime).
      const onMetadata = draft.metadata.labels?.[key];
      if (onMetadata !== undefined && onMetadata !== value) {
        writer.conflicts.push(
          `metadata.labels["${key}"] is "${echo(onMetadata)}" but kserve-llmd sets "${value}" on this service's ` +
            `pods (${why(key, ctx)}); remove the label`,
        );
      }
      writer.setDefault(
        ['spec', 'predictor', 'labels', key],
        value,
        (current) =>
          `spec.predictor.labels["${key}"] is "${echo(current)}" but kserve-llmd needs "${value}" ` +
          `(${why(key, ctx)}); remove the label or change the annotations`,
      );
    }
    return [];
  },
};

function why(key: string, ctx: IsvcContext): string {
  if (key === LABELS.role)
    return ctx.role === 'prefill' ? 'this is a prefill sibling' : `disaggregation is "${ctx.settings.disaggregation}"`;
  if (key === LABELS.acceleratorVendor || key === LABELS.accelerator) return `the accelerator is "${ctx.accelerator}"`;
  if (key === LABELS.pool || key === LABELS.model) return `the pool is "${echo(ctx.pool)}"`;
  return 'llm-d selects pods by it';
}
