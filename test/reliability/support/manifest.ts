/** What the reliability tests read from the shipped install (manifests/overlays/default). */
import { parseByteQuantity } from '../../../core/annotations/values.js';
import { build, one } from '../../manifests/helpers.js';

/** The memory limit of a Deployment's first container, in bytes. */
export function manifestMemoryLimitBytes(deployment: string): number {
  const d = one(build('manifests/overlays/default'), 'Deployment', deployment);
  const limit = String(d.spec.template.spec.containers[0].resources.limits.memory);
  const parsed = parseByteQuantity(limit);
  if (!parsed.ok) throw new Error(`${deployment}: memory limit ${limit} is not a quantity`);
  return parsed.value;
}
