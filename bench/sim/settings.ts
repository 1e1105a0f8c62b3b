import type { SloTarget } from './policies/types.js';
import type { EnginePreset } from '../../model/presets.js';
import type { RouterName } from '../../model/router.js';

/** What every simulated fleet run shares: the engine, the routing, the SLO and the oracle's search bounds. */
export interface SimSettings {
  preset: EnginePreset;
  slo: SloTarget;
  router: RouterName;
  disaggregated: boolean;
  pdThresholdTokens: number;
  seed: number;
  maxReplicas: number;
  /** Oracle window, seconds. */
  windowS: number;
  /** Attainment goal (0.99): the oracle spends misses up to it; the goal check uses it. */
  attainment: number;
}
