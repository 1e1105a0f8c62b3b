/** `/mutate-inferenceservice`: CREATE and UPDATE of serving.kserve.io/v1beta1 InferenceServices. */
import type { WebhookConfig } from '../../src/config.js';
import type { AdmissionHandler } from '../admission-types.js';
import { isRecord } from '../../src/types/kube.js';
import { allowed, denied, patched } from '../admission.js';
import { denialMessage, mutateInferenceService } from '../../core/isvc/mutate.js';

export const ISVC_PATH = '/mutate-inferenceservice';

export const INHERITED_PREFIX = 'kserve-llmd: not enforced on this update because the object already had it: ';

export function createIsvcHandler(config: WebhookConfig): AdmissionHandler {
  return (request) => {
    if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return allowed(request.uid);
    if (request.kind?.kind !== 'InferenceService') {
      return allowed(request.uid, [
        `kserve-llmd: ${ISVC_PATH} received a ${String(request.kind?.kind)}; check the webhook configuration's rules`,
      ]);
    }
    // An object on its way out only loses finalizers (KServe's UPDATE); nothing may stop that, and nothing is
    // worth writing into it (issue 14: a service that broke a tightened rule stayed Terminating forever).
    if (request.operation === 'UPDATE' && terminating(request.object)) return allowed(request.uid);
    const outcome = mutateInferenceService(request.object, config);
    switch (outcome.kind) {
      case 'untouched':
        return allowed(request.uid);
      case 'denied': {
        if (request.operation !== 'UPDATE') return denied(request.uid, denialMessage(outcome.errors));
        // On UPDATE only what this update introduces is denied: a problem the stored object already had
        // (created before the install, a rule tightened by an upgrade, another default deployment mode) must
        // not block metadata edits or finalizer removal. It is reported as a warning instead.
        const before = problems(request.oldObject, config);
        const fresh = outcome.errors.filter((e) => !before.has(e));
        const inherited = outcome.errors.filter((e) => before.has(e)).map((e) => INHERITED_PREFIX + e);
        if (fresh.length === 0) return allowed(request.uid, inherited);
        return denied(request.uid, denialMessage(fresh), 422, inherited);
      }
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

function terminating(object: unknown): boolean {
  return isRecord(object) && isRecord(object.metadata) && typeof object.metadata.deletionTimestamp === 'string';
}

/** What the webhook would deny in `object` today (none when it is absent or admissible). */
function problems(object: unknown, config: WebhookConfig): Set<string> {
  if (object === undefined || object === null) return new Set();
  const outcome = mutateInferenceService(object, config);
  return new Set(outcome.kind === 'denied' ? outcome.errors : []);
}
