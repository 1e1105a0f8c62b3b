/**
 * HPA scale-down stabilization (Kubernetes HPA behavior `scaleDown.stabilizationWindowSeconds`, used by KEDA and
 * by WVA's HPA): a recommendation above the current count applies at once; below it, the policy takes the highest
 * recommendation of the window, never above the current count. Shared by the baselines that go through an HPA.
 */
export class DownStabilizer {
  private recs: Array<[number, number]> = [];

  constructor(private readonly windowS: number) {}

  /** Record `rec` at `now` (seconds) and return the stabilized count for `current` replicas. */
  apply(now: number, rec: number, current: number): number {
    this.recs.push([now, rec]);
    this.recs = this.recs.filter(([t]) => t > now - this.windowS);
    return rec >= current ? rec : Math.min(current, Math.max(...this.recs.map(([, v]) => v)));
  }
}
