/**
 * Publishes a service's routing status where users look: the `kserve-llmd.io/status` annotation (merge patch,
 * only when the text changed), a Kubernetes Event on the InferenceService and a CloudEvent per change.
 * The last state per service is kept in memory so a resync that changes nothing writes nothing.
 */
import { randomBytes } from 'node:crypto';
import type { EventEmitter } from '../src/events.js';
import { isStatus, RESOURCES, type KubeClient } from '../src/kube.js';
import type { Logger } from '../src/log.js';
import type { InferenceService } from '../src/types/kube.js';
import { cloudEventType, STATUS_ANNOTATION, statusMessage, statusText, type RoutingStatus } from './status.js';

export interface ReporterDeps {
  client: KubeClient;
  events: EventEmitter;
  logger?: Logger;
  onConflictCount?(n: number): void;
}

export interface Reporter {
  /** Publish `status` on the service (undefined: opted out, the annotation goes). */
  report(isvc: InferenceService, status: RoutingStatus | undefined): Promise<void>;
  /** The service `namespace/name` is gone: its objects go with it (ownerReferences); one "Removed" CloudEvent. */
  removed(key: string): Promise<void>;
}

export function createReporter(deps: ReporterDeps): Reporter {
  const conflicted = new Set<string>();
  const reported = new Set<string>();
  const countConflict = (key: string, conflict: boolean): void => {
    if (conflict) conflicted.add(key);
    else conflicted.delete(key);
    deps.onConflictCount?.(conflicted.size);
  };
  const removed = async (key: string): Promise<void> => {
    countConflict(key, false);
    if (reported.delete(key))
      deps.events.emit(cloudEventType('Removed'), key, { state: 'Removed', reason: 'InferenceService deleted' });
  };
  const report = async (isvc: InferenceService, status: RoutingStatus | undefined): Promise<void> => {
    const { namespace = '', name = '' } = isvc.metadata;
    const key = `${namespace}/${name}`;
    countConflict(key, status?.state === 'Conflict');
    const current = isvc.metadata.annotations?.[STATUS_ANNOTATION];
    const text = status ? statusText(status) : undefined;
    if (text !== undefined) reported.add(key);
    // Only a change is published: the annotation persists across restarts, so a restarted controller that
    // finds everything as it was emits nothing.
    if (current === text) return;
    try {
      await deps.client.patch(
        RESOURCES.inferenceServices,
        namespace,
        name,
        { metadata: { annotations: { [STATUS_ANNOTATION]: text ?? null } } },
        { type: 'merge' },
      );
    } catch (err) {
      if (isStatus(err, 404)) return;
      throw err;
    }
    const shown: RoutingStatus = status ?? { state: 'Removed', objects: [], problems: [] };
    if (!status) reported.delete(key);
    deps.events.emit(cloudEventType(shown.state), key, { ...shown });
    deps.logger?.info('routing status', { service: key, state: shown.state, problems: shown.problems });
    await recordEvent(deps.client, isvc, shown).catch((err: unknown) =>
      deps.logger?.warn('event not recorded', { service: key, error: String(err) }),
    );
  };
  return { report, removed };
}

/** A core/v1 Event on the InferenceService (kubectl describe isvc shows it). */
async function recordEvent(client: KubeClient, isvc: InferenceService, status: RoutingStatus): Promise<void> {
  const { namespace = '', name = '', uid } = isvc.metadata;
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await client.create(RESOURCES.events, namespace, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${name}.${randomBytes(8).toString('hex')}`, namespace },
    involvedObject: { apiVersion: isvc.apiVersion, kind: isvc.kind, name, namespace, uid },
    reason: `Routing${status.state}`,
    message: statusMessage(status),
    type: status.state === 'Ready' || status.state === 'Removed' ? 'Normal' : 'Warning',
    source: { component: 'kserve-llmd-controller' },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
    reportingComponent: 'kserve-llmd-controller',
  });
}
