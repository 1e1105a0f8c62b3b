/**
 * minReplicas/maxReplicas from `kserve-llmd.io/decode-replicas` (or `prefill-replicas` on the prefill
 * sibling). KServe regenerates Knative's min-scale/max-scale from these fields and strips the annotations
 * (kserve-knative.md §1), so the fields are the only way to carry the bounds to the PodAutoscaler.
 */
import { ANNOTATION_PREFIX } from '../../names.js';
import type { IsvcMutator } from './types.js';
import { echo } from '../../echo.js';

export const replicasMutator: IsvcMutator = {
  name: 'replicas',
  apply(_draft, ctx, writer) {
    const annotation = `${ANNOTATION_PREFIX}${ctx.role === 'prefill' ? 'prefill' : 'decode'}-replicas`;
    const { min, max } = ctx.replicas;
    const conflict = (field: string, want: number) => (current: unknown) =>
      ctx.replicasExplicit
        ? `spec.predictor.${field} is ${echo(current)} but ${annotation} is "${min}-${max}" (${field} ${want}); ` +
          `set one of them, not both`
        : undefined;
    writer.setDefault(['spec', 'predictor', 'minReplicas'], min, conflict('minReplicas', min));
    writer.setDefault(['spec', 'predictor', 'maxReplicas'], max, conflict('maxReplicas', max));
    const userMin = writer.userValue(['spec', 'predictor', 'minReplicas']);
    const warnings: string[] = [];
    if (
      !ctx.replicasExplicit &&
      typeof userMin === 'number' &&
      userMin > 0 &&
      ctx.settings.explicit.has('scale-to-zero-after')
    ) {
      warnings.push(
        `${ANNOTATION_PREFIX}scale-to-zero-after has no effect while spec.predictor.minReplicas is ${userMin}`,
      );
    } else if (ctx.replicasExplicit && min > 0 && ctx.settings.explicit.has('scale-to-zero-after')) {
      warnings.push(
        `${ANNOTATION_PREFIX}scale-to-zero-after has no effect while ${annotation} has a minimum of ${min}`,
      );
    }
    return warnings;
  },
};
