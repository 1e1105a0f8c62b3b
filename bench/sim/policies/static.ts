/** A fixed fleet: what you run without an autoscaler. Sized for the peak by the benchmark (oracle.ts). */
import type { Desired, Policy } from './types.js';

export function staticPolicy(fleet: Desired, name = 'static-peak'): Policy {
  return { name, step: () => fleet };
}
