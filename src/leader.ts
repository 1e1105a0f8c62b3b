/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's defaults and rules
 * (k8s.io/client-go/tools/leaderelection; style.md §4.8): lease 15 s, renew deadline 10 s, retry 2 s.
 *
 *   - Acquire: read the Lease; create it if absent; take it if it is ours or has expired; else wait `retry`.
 *   - Expiry is judged on OUR clock from when we last saw the record change (client-go's observedTime), not
 *     from renewTime, so clock skew between replicas cannot make a live leader look expired.
 *   - Every write is an update with the resourceVersion we read: a 409 means another replica won the race.
 *   - Renew every `retry`; if no renewal has succeeded for `renewDeadline`, stop leading (onStoppedLeading)
 *     before the lease can expire for others (renewDeadline < leaseDuration).
 *   - On stop() the leader releases the lease (holderIdentity cleared, leaseDurationSeconds 1), so a
 *     successor takes over at once instead of after 15 s (client-go ReleaseOnCancel).
 *
 * Usage:
 *   const le = new LeaderElector({
 *     client, namespace: 'kserve-llmd', name: 'kserve-llmd-controller', identity: hostname(),
 *     onStartedLeading: () => controller.start(), onStoppedLeading: () => process.exit(1) });
 *   le.run();  …  await le.stop();
 * RBAC: get, create, update on coordination.k8s.io leases.
 */
import { isStatus, RESOURCES, type KubeClient, type KubeObject } from './kube.js';
import type { Logger } from './log.js';

export interface LeaderElectorOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading(): void;
  onStoppedLeading(): void;
  logger?: Logger;
  now?: () => number;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

type Lease = KubeObject & { spec?: LeaseSpec };

const microTime = (ms: number): string => new Date(ms).toISOString().replace('Z', '000Z');

export class LeaderElector {
  private readonly leaseMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private readonly now: () => number;
  private leading = false;
  private stopped = false;
  private observed?: { record: string; at: number };
  private lastRenew = 0;
  private timer?: NodeJS.Timeout;
  private loop?: Promise<void>;

  constructor(private readonly opts: LeaderElectorOptions) {
    this.leaseMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryMs = opts.retryPeriodMs ?? 2_000;
    this.now = opts.now ?? Date.now;
    if (!(this.renewDeadlineMs < this.leaseMs && this.retryMs < this.renewDeadlineMs)) {
      throw new Error(
        `leader election: need retry (${this.retryMs} ms) < renew ` +
          `deadline (${this.renewDeadlineMs} ms) < lease ` +
          `(${this.leaseMs} ms)`,
      );
    }
  }

  isLeader(): boolean {
    return this.leading;
  }

  run(): void {
    this.stopped = false;
    this.loop = this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.loop;
    if (this.leading) {
      this.leading = false;
      await this.release();
      this.opts.onStoppedLeading();
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.loop = this.tick();
    }, this.retryMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew();
    } catch (err) {
      this.opts.logger?.warn('leader election: lease update failed', {
        lease: this.opts.name,
        error: String((err as Error).message ?? err),
      });
    }
    if (this.stopped) return;
    const t = this.now();
    if (ok) {
      this.lastRenew = t;
      if (!this.leading) {
        this.leading = true;
        this.opts.logger?.info('leader election: became leader', {
          lease: this.opts.name,
          identity: this.opts.identity,
        });
        this.opts.onStartedLeading();
      }
    } else if (this.leading && t - this.lastRenew >= this.renewDeadlineMs) {
      this.leading = false;
      this.opts.logger?.warn('leader election: lost the lease (renew deadline passed)', { lease: this.opts.name });
      this.opts.onStoppedLeading();
    }
    this.schedule();
  }

  private spec(now: number, previous?: LeaseSpec): LeaseSpec {
    const changingHands = previous?.holderIdentity !== this.opts.identity;
    return {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: Math.round(this.leaseMs / 1000),
      acquireTime: changingHands || !previous?.acquireTime ? microTime(now) : previous.acquireTime,
      renewTime: microTime(now),
      leaseTransitions: (previous?.leaseTransitions ?? 0) + (changingHands && previous?.holderIdentity ? 1 : 0),
    };
  }

  /** One attempt; true when we hold the lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, name } = this.opts;
    const now = this.now();
    let lease: Lease;
    try {
      lease = await client.get<Lease>(RESOURCES.leases, namespace, name);
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
      return this.create(now);
    }
    const spec = lease.spec ?? {};
    if (this.heldByAnother(spec, now)) return false;
    try {
      await client.replace(RESOURCES.leases, namespace, name, { ...lease, spec: this.spec(now, spec) });
      return true;
    } catch (err) {
      if (isStatus(err, 409)) return false;
      throw err;
    }
  }

  /** No Lease yet: create it holding it; false when another replica created it first. */
  private async create(now: number): Promise<boolean> {
    const { client, namespace, name } = this.opts;
    try {
      await client.create(RESOURCES.leases, namespace, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace },
        spec: this.spec(now),
      });
      this.observed = undefined;
      return true;
    } catch (createErr) {
      if (isStatus(createErr, 409)) return false; // another replica created it first
      throw createErr;
    }
  }

  /**
   * Another holder whose record has changed within its lease duration, timed by our clock from when we first saw
   * that record (client-go's observedTime: clocks of different nodes are never compared).
   */
  private heldByAnother(spec: LeaseSpec, now: number): boolean {
    const record = JSON.stringify(spec);
    if (this.observed?.record !== record) this.observed = { record, at: now };
    const holder = spec.holderIdentity ?? '';
    const durationMs = (spec.leaseDurationSeconds ?? this.leaseMs / 1000) * 1000;
    return holder !== '' && holder !== this.opts.identity && (this.observed?.at ?? now) + durationMs > now;
  }

  private async release(): Promise<void> {
    const { client, namespace, name } = this.opts;
    try {
      const lease = await client.get<Lease>(RESOURCES.leases, namespace, name);
      if (lease.spec?.holderIdentity !== this.opts.identity) return;
      await client.replace(RESOURCES.leases, namespace, name, {
        ...lease,
        spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(this.now()) },
      });
    } catch (err) {
      this.opts.logger?.warn('leader election: release failed; the lease expires on its own', {
        lease: name,
        error: String(err),
      });
    }
  }
}
