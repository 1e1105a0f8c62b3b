/**
 * The InferenceService mutation as a pure function: object in, decision out (deny with every reason, or
 * the mutated object). Used by the admission handler, `kserve-llmd render` and the controller, so all
 * three produce the same object.
 */
import type { WebhookConfig } from '../../src/config.js';
import { isRecord, type InferenceService } from '../../src/types/kube.js';
import { parseAnnotations } from '../annotations/parse.js';
import { buildContext, type IsvcContext } from './context.js';
import { FieldWriter, readRecord } from './fields.js';
import { ISVC_MUTATORS } from './mutators/index.js';
import { checkRules } from './rules.js';

export type IsvcOutcome =
  | { kind: 'untouched' }
  | { kind: 'denied'; errors: string[] }
  | { kind: 'mutated'; object: InferenceService; warnings: string[]; context?: IsvcContext };

export function mutateInferenceService(input: unknown, config: WebhookConfig): IsvcOutcome {
  if (!isRecord(input) || !isRecord(input.metadata))
    return { kind: 'denied', errors: ['the object is not an InferenceService (no metadata)'] };
  const annotations = isRecord(input.metadata.annotations)
    ? (input.metadata.annotations as Record<string, string>)
    : undefined;
  const parsed = parseAnnotations(annotations);
  const previous = readRecord(annotations);
  if (!parsed.optedIn) {
    // Opted out (or never in): take back what the webhook added earlier, nothing else.
    if (Object.keys(previous).length === 0) return { kind: 'untouched' };
    const draft = writableCopy(input as unknown as InferenceService);
    new FieldWriter(draft as unknown as Record<string, unknown>, previous).finish();
    return { kind: 'mutated', object: draft, warnings: [] };
  }
  if (!isRecord(input.spec) || !isRecord(input.spec.predictor))
    return { kind: 'denied', errors: [...parsed.errors, 'spec.predictor is required'] };
  if (parsed.errors.length > 0) return { kind: 'denied', errors: parsed.errors };

  const isvc = input as unknown as InferenceService;
  const ctx = buildContext(isvc, parsed.settings, config);
  const broken = checkRules(ctx, isvc);
  if (broken.length > 0) return { kind: 'denied', errors: broken };

  const draft = writableCopy(isvc);
  const writer = new FieldWriter(draft as unknown as Record<string, unknown>, previous);
  const warnings = ISVC_MUTATORS.flatMap((m) => m.apply(draft, ctx, writer));
  if (writer.conflicts.length > 0) return { kind: 'denied', errors: writer.conflicts };
  writer.finish();
  return { kind: 'mutated', object: draft, warnings, context: ctx };
}

/**
 * A copy of the InferenceService in which exactly the maps the mutators write (metadata.annotations and
 * spec.predictor with its labels, annotations and model) are fresh objects; everything else is shared with
 * the input, which is never modified. A full deep clone of a real object (managedFields, the
 * last-applied-configuration annotation) cost more than the whole mutation, on every admission.
 */
function writableCopy(isvc: InferenceService): InferenceService {
  /** A shallow copy of `obj` with the listed map-valued keys copied too (absent keys stay absent). */
  const withFresh = <T extends object>(obj: T, keys: string[]): T => {
    const out = { ...obj } as Record<string, unknown>;
    for (const k of keys) if (isRecord(out[k])) out[k] = { ...(out[k] as object) };
    return out as T;
  };
  const draft = withFresh(isvc, ['metadata', 'spec']);
  draft.metadata = withFresh(draft.metadata, ['annotations']);
  if (isRecord(draft.spec) && isRecord(draft.spec.predictor)) {
    draft.spec.predictor = withFresh(draft.spec.predictor, ['labels', 'annotations', 'model']);
  }
  return draft;
}

/** One message naming every problem, as the API server shows it to `kubectl apply`. */
export function denialMessage(errors: string[]): string {
  if (errors.length === 1) return `kserve-llmd: ${errors[0]}`;
  return `kserve-llmd: ${errors.length} problems: ${errors.map((e, i) => `(${i + 1}) ${e}`).join('; ')}`;
}
