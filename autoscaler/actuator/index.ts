/**
 * The actuator: writes a decision to the cluster. Knative mode: the ServerlessService (create, Serve/Proxy),
 * the scale target's /scale, and the PA status. Standard mode: /scale only. Never touches an object another
 * controller owns (an SKS controlled by a different PA uid is reported, not adopted).
 */
import { ApiError, isStatus, RESOURCES, type KubeClient, type KubeObject } from '../../src/kube.js';
import type { Logger } from '../../src/log.js';
import type { ScaleTarget } from '../targets.js';
import { paStatus, sameStatus } from './pa-status.js';
import { activatorInPath, desiredSks, sksMode, type SksMode } from './sks.js';

export interface Observed {
  ready: number;
  /** spec.replicas of the Deployment (what /scale reports). */
  specReplicas: number;
  sks?: KubeObject;
}

export interface ActuationResult {
  /** Replicas written to /scale this call (undefined: unchanged). */
  scaled?: { from: number; to: number };
  /** Zero was decided but the activator is not in the path yet: replicas kept. */
  waitingForActivator: boolean;
  sksMode?: SksMode;
  statusWritten: boolean;
}

export class Actuator {
  private readonly proxySince = new Map<string, number>();

  constructor(
    private readonly client: KubeClient,
    private readonly opts: { scaleToZeroGraceMs: number; logger: Logger; now?: () => number },
  ) {}

  async apply(t: ScaleTarget, desired: number, obs: Observed): Promise<ActuationResult> {
    const now = (this.opts.now ?? Date.now)();
    const result: ActuationResult = { waitingForActivator: false, statusWritten: false };
    let sks = obs.sks;
    if (t.pa) {
      sks = await this.ensureSks(t, desired === 0 || obs.ready === 0 ? 'Proxy' : 'Serve', sks, now);
      result.sksMode = sksMode(sks);
    }
    let replicas = desired;
    if (
      t.pa &&
      desired === 0 &&
      obs.specReplicas > 0 &&
      !activatorInPath(sks, this.proxySince.get(t.key), now, this.opts.scaleToZeroGraceMs)
    ) {
      replicas = obs.specReplicas;
      result.waitingForActivator = true;
    }
    if (replicas !== obs.specReplicas) {
      await this.wrap(`scale ${t.key} (deployment ${t.deployment}) to ${replicas}`, () =>
        this.client.patch(
          RESOURCES.deployments,
          t.namespace,
          t.deployment,
          { spec: { replicas } },
          { type: 'merge', subresource: 'scale' },
        ),
      );
      result.scaled = { from: obs.specReplicas, to: replicas };
    }
    if (t.pa) {
      const status = paStatus({
        pa: t.pa,
        sks,
        desired,
        ready: obs.ready,
        specReplicas: replicas,
        minScale: t.spec.minReplicas,
        nowIso: new Date(now).toISOString(),
      });
      if (!sameStatus(t.pa.status, status)) {
        await this.wrap(`update status of podautoscaler ${t.key}`, () =>
          this.client.patch(
            RESOURCES.podAutoscalers,
            t.namespace,
            t.name,
            { status },
            { type: 'merge', subresource: 'status' },
          ),
        );
        result.statusWritten = true;
      }
    }
    return result;
  }

  /** Forget per-target memory of a target that is gone. */
  forget(key: string): void {
    this.proxySince.delete(key);
  }

  private async ensureSks(
    t: ScaleTarget,
    mode: SksMode,
    sks: KubeObject | undefined,
    now: number,
  ): Promise<KubeObject | undefined> {
    const pa = t.pa as KubeObject;
    if (!sks) {
      try {
        sks = await this.client.create(RESOURCES.serverlessServices, t.namespace, desiredSks(pa, t.deployment, mode));
      } catch (err) {
        if (!isStatus(err, 409)) throw new Error(`create serverlessservice ${t.key}`, { cause: err });
        sks = await this.client.get(RESOURCES.serverlessServices, t.namespace, t.name);
      }
    }
    const owner = sks?.metadata?.ownerReferences?.find((o) => o.controller);
    if (owner && owner.uid !== pa.metadata?.uid) {
      this.opts.logger.warn('serverlessservice is controlled by another object; leaving it alone', {
        pa: t.key,
        owner: `${owner.kind}/${owner.name}`,
      });
      return sks;
    }
    if (sksMode(sks) !== mode) {
      sks = await this.wrap(`set serverlessservice ${t.key} mode ${mode}`, () =>
        this.client.patch(RESOURCES.serverlessServices, t.namespace, t.name, { spec: { mode } }, { type: 'merge' }),
      );
    }
    if (mode === 'Proxy') {
      if (!this.proxySince.has(t.key)) this.proxySince.set(t.key, now);
    } else this.proxySince.delete(t.key);
    return sks;
  }

  private async wrap<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new Error(`${what}: ${err instanceof ApiError ? `${err.status} ${err.reason}` : (err as Error).message}`, {
        cause: err,
      });
    }
  }
}
