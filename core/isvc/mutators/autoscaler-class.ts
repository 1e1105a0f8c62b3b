/**
 * The Knative PodAutoscaler class. KServe defaults the class to KPA only when no class is set anywhere
 * (ISVC, predictor or runtime annotations) and copies annotations to the revision, whose PodAutoscaler our
 * autoscaler then reconciles (kserve-knative.md §1, §4). In Standard mode there is no Knative revision.
 */
import { AUTOSCALER_CLASS, KNATIVE_CLASS_ANNOTATION } from '../../names.js';
import type { IsvcMutator } from './types.js';
import { echo } from '../../echo.js';

export const autoscalerClassMutator: IsvcMutator = {
  name: 'autoscaler-class',
  apply(draft, ctx, writer) {
    if (ctx.deploymentMode !== 'Knative') {
      return [
        `deployment mode ${ctx.deploymentMode}: Knative does not ` +
          `run this service, so the kserve-llmd autoscaler does not ` +
          `scale it (routing and pod wiring still apply)`,
      ];
    }
    const onMetadata = draft.metadata.annotations?.[KNATIVE_CLASS_ANNOTATION];
    if (onMetadata !== undefined && onMetadata !== AUTOSCALER_CLASS) {
      writer.conflicts.push(
        `metadata.annotations["${KNATIVE_CLASS_ANNOTATION}"] is "${echo(onMetadata)}" but kserve-llmd scales ` +
          `this service with "${AUTOSCALER_CLASS}" (prefill and decode on queue and KV-cache pressure); remove the ` +
          `annotation`,
      );
      return [];
    }
    writer.setDefault(
      ['spec', 'predictor', 'annotations', KNATIVE_CLASS_ANNOTATION],
      AUTOSCALER_CLASS,
      (current) =>
        `spec.predictor.annotations["${KNATIVE_CLASS_ANNOTATION}"] is "${echo(current)}" but kserve-llmd scales ` +
        `this service with "${AUTOSCALER_CLASS}"; remove the annotation`,
    );
    return [];
  },
};
