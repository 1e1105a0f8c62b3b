/** `/mutate-pod`: CREATE of pods labelled `kserve-llmd.io/pool` (the webhook's objectSelector). */
import type { InjectionConfig } from '../../src/config.js';
import type { AdmissionHandler } from '../admission-types.js';
import { allowed, patched } from '../admission.js';
import { DEFAULT_CLUSTER, type ClusterFeatures } from './context.js';
import { mutatePod } from './mutate.js';

export const POD_PATH = '/mutate-pod';

export interface PodHandlerOptions {
  cluster?: ClusterFeatures;
  /** A bug in the pod mutation (the pod is admitted unchanged): for the error metric and the log. */
  onError?: (err: unknown, request: { uid: string; namespace?: string; name?: string }) => void;
}

/**
 * A pod webhook never blocks a pod: an exception inside the mutation admits the pod unchanged, with a warning
 * (the pod then lacks the llm-d wiring, as when the webhook is down) and a call to `onError`.
 */
export function createPodHandler(injection: InjectionConfig, opts: PodHandlerOptions = {}): AdmissionHandler {
  const cluster = opts.cluster ?? DEFAULT_CLUSTER;
  return (request) => {
    if (request.operation !== 'CREATE' || request.kind?.kind !== 'Pod') return allowed(request.uid);
    try {
      const outcome = mutatePod(request.object, injection, cluster);
      const warnings = outcome.warnings.map((w) => `kserve-llmd: ${w}`);
      if (outcome.kind === 'untouched') return allowed(request.uid, warnings);
      return patched(request.uid, request.object, outcome.object, warnings);
    } catch (err) {
      opts.onError?.(err, request);
      return allowed(request.uid, [
        'kserve-llmd: the pod webhook failed on this pod and admitted it unchanged (no llm-d wiring); ' +
          'see the kserve-llmd webhook log',
      ]);
    }
  };
}
