/** `/mutate-pod`: CREATE of pods labelled `kserve-llmd.io/pool` (the webhook's objectSelector). */
import type { InjectionConfig } from '../../src/config.js';
import type { AdmissionHandler } from '../../src/types/admission.js';
import { allowed, patched } from '../admission.js';
import { mutatePod } from './mutate.js';

export const POD_PATH = '/mutate-pod';

export function createPodHandler(injection: InjectionConfig): AdmissionHandler {
  return (request) => {
    if (request.operation !== 'CREATE' || request.kind?.kind !== 'Pod') return allowed(request.uid);
    const outcome = mutatePod(request.object, injection);
    const warnings = outcome.warnings.map((w) => `kserve-llmd: ${w}`);
    if (outcome.kind === 'untouched') return allowed(request.uid, warnings);
    return patched(request.uid, request.object, outcome.object, warnings);
  };
}
