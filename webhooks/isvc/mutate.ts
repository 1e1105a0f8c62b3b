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
  if (!isRecord(input) || !isRecord(input.metadata)) return { kind: 'denied', errors: ['the object is not an InferenceService (no metadata)'] };
  const annotations = isRecord(input.metadata.annotations) ? (input.metadata.annotations as Record<string, string>) : undefined;
  const parsed = parseAnnotations(annotations);
  const previous = readRecord(annotations);
  if (!parsed.optedIn) {
    // Opted out (or never in): take back what the webhook added earlier, nothing else.
    if (Object.keys(previous).length === 0) return { kind: 'untouched' };
    const draft = structuredClone(input) as InferenceService;
    new FieldWriter(draft as unknown as Record<string, unknown>, previous).finish();
    return { kind: 'mutated', object: draft, warnings: [] };
  }
  if (!isRecord(input.spec) || !isRecord(input.spec.predictor)) return { kind: 'denied', errors: [...parsed.errors, 'spec.predictor is required'] };
  if (parsed.errors.length > 0) return { kind: 'denied', errors: parsed.errors };

  const isvc = input as unknown as InferenceService;
  const ctx = buildContext(isvc, parsed.settings, config);
  const broken = checkRules(ctx, isvc);
  if (broken.length > 0) return { kind: 'denied', errors: broken };

  const draft = structuredClone(isvc);
  const writer = new FieldWriter(draft as unknown as Record<string, unknown>, previous);
  const warnings = ISVC_MUTATORS.flatMap((m) => m.apply(draft, ctx, writer));
  if (writer.conflicts.length > 0) return { kind: 'denied', errors: writer.conflicts };
  writer.finish();
  return { kind: 'mutated', object: draft, warnings, context: ctx };
}

/** One message naming every problem, as the API server shows it to `kubectl apply`. */
export function denialMessage(errors: string[]): string {
  if (errors.length === 1) return `kserve-llmd: ${errors[0]}`;
  return `kserve-llmd: ${errors.length} problems: ${errors.map((e, i) => `(${i + 1}) ${e}`).join('; ')}`;
}
