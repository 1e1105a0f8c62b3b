/** `/mutate-inferenceservice`: CREATE and UPDATE of serving.kserve.io/v1beta1 InferenceServices. */
import type { WebhookConfig } from '../../src/config.js';
import type { AdmissionHandler } from '../../src/types/admission.js';
import { allowed, denied, patched } from '../admission.js';
import { denialMessage, mutateInferenceService } from './mutate.js';

export const ISVC_PATH = '/mutate-inferenceservice';

export function createIsvcHandler(config: WebhookConfig): AdmissionHandler {
  return (request) => {
    if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return allowed(request.uid);
    if (request.kind?.kind !== 'InferenceService') {
      return allowed(request.uid, [
        `kserve-llmd: ${ISVC_PATH} received a ${String(request.kind?.kind)}; check the webhook configuration's rules`,
      ]);
    }
    const outcome = mutateInferenceService(request.object, config);
    switch (outcome.kind) {
      case 'untouched':
        return allowed(request.uid);
      case 'denied':
        return denied(request.uid, denialMessage(outcome.errors));
      case 'mutated':
        return patched(
          request.uid,
          request.object,
          outcome.object,
          outcome.warnings.map((w) => `kserve-llmd: ${w}`),
        );
    }
  };
}
