import type { InferenceService } from '../../../src/types/kube.js';
import type { IsvcContext } from '../context.js';
import type { FieldWriter } from '../fields.js';

/**
 * One concern of the InferenceService mutation. It reads the draft and context and writes only through the
 * FieldWriter (which never overwrites a user's value); it returns warnings for the admission response.
 */
export interface IsvcMutator {
  name: string;
  apply(draft: InferenceService, ctx: IsvcContext, writer: FieldWriter): string[];
}
