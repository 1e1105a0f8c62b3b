/**
 * The oracle's cost–attainment frontier (pure). Each window offers fleets with a cost (GPU-seconds) and a number
 * of missed requests. Mixing the windows' choices, the least cost for a total number of misses is a knapsack; its
 * linear relaxation — every window on the lower convex hull of its own options, steps taken in order of GPU-seconds
 * saved per extra miss — is exact at the hull's vertices, never above the integer optimum in between, and is what
 * this module computes. So "the oracle's GPU-hours at attainment a" is a lower bound at every a, interpolated
 * linearly between vertices.
 */
export interface WindowOption {
  cost: number;
  misses: number;
}

export interface FrontierPoint {
  misses: number;
  cost: number;
}

export interface Frontier {
  /** Requests over all windows (attainment = 1 − misses / requests). */
  requests: number;
  /** Vertices, fewest misses (most cost) first; cost falls and misses rise along the list. */
  points: FrontierPoint[];
}

/**
 * Lower convex hull of one window's options in (misses, cost): the fewest-miss option first, then each vertex
 * saving less per extra miss than the one before. Dominated options (no fewer misses for more cost) drop out.
 */
export function lowerHull<T extends WindowOption>(options: readonly T[]): T[] {
  const sorted = [...options].sort((a, b) => a.misses - b.misses || a.cost - b.cost);
  const hull: T[] = [];
  for (const x of sorted) {
    if (hull.length > 0 && x.cost >= (hull[hull.length - 1] as T).cost) continue; // dominated
    // Pop while the last vertex lies on or above the segment from the one before it to x (not convex).
    while (hull.length >= 2) {
      const a = hull[hull.length - 2] as T;
      const b = hull[hull.length - 1] as T;
      const cross = (b.misses - a.misses) * (x.cost - a.cost) - (b.cost - a.cost) * (x.misses - a.misses);
      if (cross <= 0) hull.pop();
      else break;
    }
    hull.push(x);
  }
  return hull;
}

interface Step {
  window: number;
  /** Index of the hull vertex this step moves the window to. */
  to: number;
  dMisses: number;
  dCost: number;
}

/** Every window's hull steps, most GPU-seconds saved per extra miss first (a window's own steps keep their order). */
function steps(hulls: readonly WindowOption[][]): Step[] {
  const all: Step[] = [];
  hulls.forEach((h, w) => {
    for (let i = 1; i < h.length; i++) {
      const a = h[i - 1] as WindowOption;
      const b = h[i] as WindowOption;
      all.push({ window: w, to: i, dMisses: b.misses - a.misses, dCost: a.cost - b.cost });
    }
  });
  return all.sort((x, y) => y.dCost * x.dMisses - x.dCost * y.dMisses || x.window - y.window || x.to - y.to);
}

export function buildFrontier(hulls: readonly WindowOption[][], requests: number): Frontier {
  let misses = 0;
  let cost = 0;
  for (const h of hulls) {
    misses += h[0]?.misses ?? 0;
    cost += h[0]?.cost ?? 0;
  }
  const points: FrontierPoint[] = [{ misses, cost }];
  for (const s of steps(hulls)) {
    misses += s.dMisses;
    cost -= s.dCost;
    points.push({ misses, cost });
  }
  return { requests, points };
}

/** Least GPU-seconds for at most `misses` misses (linear between vertices); NaN when fewer misses are unreachable. */
export function costAtMisses(f: Frontier, misses: number): number {
  const pts = f.points;
  const first = pts[0];
  if (!first || misses < first.misses - 1e-9) return NaN;
  for (let i = 1; i < pts.length; i++) {
    const b = pts[i] as FrontierPoint;
    if (misses <= b.misses) {
      const a = pts[i - 1] as FrontierPoint;
      return b.misses === a.misses
        ? b.cost
        : a.cost + ((b.cost - a.cost) * (misses - a.misses)) / (b.misses - a.misses);
    }
  }
  return (pts[pts.length - 1] as FrontierPoint).cost;
}

/** The frontier's GPU-seconds at an attainment (fraction within the SLO); NaN above its best attainment. */
export function costAtAttainment(f: Frontier, attainment: number): number {
  return costAtMisses(f, (1 - attainment) * f.requests);
}

/** Best attainment the frontier reaches. */
export function maxAttainment(f: Frontier): number {
  return f.requests > 0 ? 1 - (f.points[0]?.misses ?? 0) / f.requests : 1;
}

/**
 * A concrete schedule within a miss budget: hull steps in frontier order, each taken while the budget allows; a
 * window whose next step does not fit stays where it is (its later steps would save less per miss). Returns the
 * hull vertex chosen per window.
 */
export function scheduleWithin(hulls: readonly WindowOption[][], budgetMisses: number): number[] {
  const pick = hulls.map(() => 0);
  let used = hulls.reduce((s, h) => s + (h[0]?.misses ?? 0), 0);
  const blocked = new Set<number>();
  for (const s of steps(hulls)) {
    if (blocked.has(s.window)) continue;
    if (used + s.dMisses > budgetMisses + 1e-9) {
      blocked.add(s.window);
      continue;
    }
    used += s.dMisses;
    pick[s.window] = s.to;
  }
  return pick;
}

/**
 * The lower envelope of a frontier and further feasible points (runs over the whole trace: (misses, GPU-seconds)
 * each): the lower convex hull of them all. Adding points only lowers it, so a row compared with it never looks
 * better than with the frontier alone, and no run it was built from lies above and left of it.
 */
export function envelope(f: Frontier, feasible: readonly FrontierPoint[]): Frontier {
  return { requests: f.requests, points: lowerHull([...f.points, ...feasible]) };
}
