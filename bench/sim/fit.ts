/**
 * Re-derives the fitted engine parameters from the `fit` calibration points (calibration-points.ts) and prints
 * them with every point's residual: `npx tsx bench/sim/fit.ts`. Each fit point sets one parameter (its `sets`);
 * each is solved by bisection on its own point, and the round is repeated until the parameters settle (the
 * couplings are weak: α moves TTFT a little, c0 moves nothing else). The values printed are the ones presets.ts
 * carries for Llama-3.1-8B on H100.
 */
import { CALIBRATION_POINTS, residual } from './calibration-points.js';
import { LLAMA3_8B, type EnginePreset } from '../../model/presets.js';

type Param =
  | 'stepOverheadS'
  | 'perSeqOverheadS'
  | 'requestOverheadS'
  | 'outputOverheadPerSeqS'
  | 'flopsEfficiency'
  | 'allReduceLatencyS';

/** Search interval per parameter (physically plausible bounds). */
const BOUNDS: Record<Param, [number, number]> = {
  stepOverheadS: [0, 0.005],
  perSeqOverheadS: [0, 0.0002],
  requestOverheadS: [0, 0.02],
  outputOverheadPerSeqS: [0, 0.0005],
  flopsEfficiency: [0.2, 0.9],
  allReduceLatencyS: [0, 0.0001],
};

function paramOf(sets: string | undefined): Param {
  const name = (sets ?? '').split(' ')[0] as Param;
  if (!(name in BOUNDS)) throw new Error(`fit point sets unknown parameter ${sets}`);
  return name;
}

/** Bisection on one parameter so that the point's model value equals the published one. */
function solve(preset: EnginePreset, param: Param, f: (p: EnginePreset) => number, want: number): number {
  let [lo, hi] = BOUNDS[param];
  const at = (x: number): number => f({ ...preset, [param]: x }) - want;
  const rising = at(hi) > at(lo);
  for (let i = 0; i < 30; i++) {
    const mid = (lo + hi) / 2;
    if (at(mid) > 0 === rising) hi = mid;
    else lo = mid;
  }
  return (lo + hi) / 2;
}

export function fit(start: EnginePreset = LLAMA3_8B, rounds = 3): EnginePreset {
  let p = start;
  for (let r = 0; r < rounds; r++)
    for (const pt of CALIBRATION_POINTS.filter((x) => x.role === 'fit')) {
      const param = paramOf(pt.sets);
      p = { ...p, [param]: solve(p, param, (q) => pt.model(q), pt.published) };
    }
  return p;
}

if (process.argv[1]?.endsWith('fit.ts')) {
  const p = fit();
  for (const k of Object.keys(BOUNDS) as Param[]) console.log(`${k}: ${p[k].toPrecision(4)}`);
  for (const pt of CALIBRATION_POINTS)
    console.log(
      `${pt.role.padEnd(4)} ${pt.id.padEnd(26)} published ${pt.published}  model ${pt.model(p).toFixed(2)}  ` +
        `(${(100 * residual(pt, p)).toFixed(1)}%)`,
    );
}
