/**
 * What the cluster showed over time, for rules about *when* something may happen (scale-to-zero-after, the
 * scale-to-zero grace): every `periodMs`, each Revision's Deployment replicas and ServerlessService mode, with
 * the time the reads were sent and the time they came back. Bounds drawn from it are conservative: a change
 * seen in a sample happened before that sample came back, and after the previous sample was sent.
 */
import { eventually, type Kube } from './kube.js';

export interface Sample {
  sentAt: number;
  receivedAt: number;
  replicas?: number;
  mode?: string;
}

const SKS = 'networking.internal.knative.dev/v1alpha1';

export class Timeline {
  private readonly samples = new Map<string, Sample[]>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly kube: Kube,
    private readonly namespace: string,
    private readonly revisions: string[],
    private readonly periodMs = 200,
  ) {
    for (const r of revisions) this.samples.set(r, []);
  }

  start(): this {
    const loop = (): void => {
      this.running = this.sample()
        .catch(() => undefined)
        .finally(() => {
          if (this.timer) this.timer = setTimeout(loop, this.periodMs);
        });
    };
    this.timer = setTimeout(loop, 0);
    return this;
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async sample(): Promise<void> {
    await Promise.all(
      this.revisions.map(async (rev) => {
        const sentAt = Date.now();
        const [dep, sks] = await Promise.all([
          this.kube.get('apps/v1', 'Deployment', this.namespace, `${rev}-deployment`),
          this.kube.get(SKS, 'ServerlessService', this.namespace, rev),
        ]);
        this.samples
          .get(rev)!
          .push({ sentAt, receivedAt: Date.now(), replicas: dep?.spec.replicas, mode: sks?.spec.mode });
      }),
    );
  }

  /**
   * The last time `rev` went to zero replicas: a lower bound of when its SKS went to Proxy before that (the
   * send time of the last sample without Proxy), an upper bound of the same (the receive time of the first
   * sample in Proxy), and a lower bound of the scale to zero (the send time of the last sample above zero).
   * Waits for a sample at zero: the test's own poll may have seen it first.
   */
  async lastScaleToZero(rev: string): Promise<{ proxyAfter: number; proxyBefore: number; zeroAfter: number }> {
    const s = this.samples.get(rev)!;
    const zeroIndex = (): number =>
      s.findLastIndex((x, i) => x.replicas === 0 && i > 0 && (s[i - 1]!.replicas ?? 0) > 0);
    await eventually(
      `${rev}: a scale to zero in the timeline`,
      () => (zeroIndex() >= 0 ? true : undefined),
      10_000,
      100,
    ).catch(() => {
      throw new Error(`${rev}: no scale to zero seen (${s.length} samples)`);
    });
    const zero = zeroIndex();
    let proxy = zero;
    while (proxy > 0 && s[proxy - 1]!.mode === 'Proxy') proxy--;
    if (proxy === 0) throw new Error(`${rev}: its SKS was in Proxy from the first sample on`);
    return { proxyAfter: s[proxy - 1]!.sentAt, proxyBefore: s[proxy]!.receivedAt, zeroAfter: s[zero - 1]!.sentAt };
  }
}
