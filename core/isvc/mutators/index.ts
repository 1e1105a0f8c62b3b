/** The InferenceService mutators, in the order they run. */
import { autoscalerClassMutator } from './autoscaler-class.js';
import { labelsMutator } from './labels.js';
import { replicasMutator } from './replicas.js';
import { runtimeMutator } from './runtime.js';
import { timeoutMutator } from './timeout.js';
import type { IsvcMutator } from './types.js';

export const ISVC_MUTATORS: readonly IsvcMutator[] = [
  labelsMutator,
  autoscalerClassMutator,
  replicasMutator,
  runtimeMutator,
  timeoutMutator,
];
export type { IsvcMutator } from './types.js';
