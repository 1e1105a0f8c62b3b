/**
 * `model.runtime`: the accelerator's ClusterServingRuntime when the user named none. Our runtimes serve
 * the `vLLM` and `huggingface` model formats (KServe matches formats case-sensitively), so other formats
 * are left to KServe's own runtime selection.
 */
import { ACCELERATORS, runtimeName } from '../../names.js';
import type { IsvcMutator } from './types.js';
import { echo } from '../../echo.js';

export const SUPPORTED_FORMATS = ['vLLM', 'huggingface'];

export const runtimeMutator: IsvcMutator = {
  name: 'runtime',
  apply(draft, ctx, writer) {
    const model = draft.spec.predictor.model;
    if (!model)
      return [
        'spec.predictor has no model (a custom container ' +
          'predictor): no serving runtime is set; the pod wiring still ' +
          'applies to its kserve-container',
      ];
    const format = model.modelFormat?.name;
    const wanted = runtimeName(ctx.accelerator);
    const ours = ACCELERATORS.map(runtimeName);
    const current = writer.userValue(['spec', 'predictor', 'model', 'runtime']);
    if (current === undefined && (format === undefined || !SUPPORTED_FORMATS.includes(format))) {
      return [
        `model format "${format === undefined ? '(none)' : echo(format)}" is not served by the kserve-llmd vLLM ` +
          `runtimes (${SUPPORTED_FORMATS.join(', ')}); KServe picks the runtime`,
      ];
    }
    writer.setDefault(['spec', 'predictor', 'model', 'runtime'], wanted, (value) =>
      ours.includes(String(value))
        ? `spec.predictor.model.runtime is "${echo(value)}" but the accelerator is "${ctx.accelerator}" (runtime ` +
          `"${wanted}"); make them agree`
        : undefined,
    );
    return [];
  },
};
