/** The pod mutators, in order. The routing sidecar runs after kv-transfer so it sees vLLM's final args. */
import { kvEventsMutator } from './kv-events.js';
import { kvTransferMutator } from './kv-transfer.js';
import { routingSidecarMutator } from './routing-sidecar.js';
import type { PodMutator } from './types.js';
import { kvDiskMutator, shmMutator } from './volumes.js';

export const POD_MUTATORS: readonly PodMutator[] = [
  kvTransferMutator,
  kvEventsMutator,
  shmMutator,
  kvDiskMutator,
  routingSidecarMutator,
];
export type { PodMutator } from './types.js';
