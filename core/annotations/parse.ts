/**
 * Parse and validate every `kserve-llmd.io/…` annotation at once, so one denial lists every problem.
 */
import { ANNOTATION_PREFIX } from '../names.js';
import { clip, echo } from '../echo.js';
import { ANNOTATIONS, ANNOTATION_NAMES } from './registry.js';
import { defaultSettings, type LlmdSettings } from './settings.js';
import { closest } from './values.js';

export type ParseResult = { optedIn: false } | { optedIn: true; settings: LlmdSettings; errors: string[] };

/** Written by kserve-llmd for its own bookkeeping; they alone do not opt a service in. */
const BOOKKEEPING = new Set(['defaulted', 'status', 'vllm-port', 'injected'].map((n) => ANNOTATION_PREFIX + n));

/** True when an object carries an annotation under `kserve-llmd.io/`: that is how a service opts in. */
export function optedIn(annotations: Record<string, string> | undefined): boolean {
  return Object.keys(annotations ?? {}).some((k) => k.startsWith(ANNOTATION_PREFIX) && !BOOKKEEPING.has(k));
}

export function parseAnnotations(annotations: Record<string, string> | undefined): ParseResult {
  if (!optedIn(annotations)) return { optedIn: false };
  const settings = defaultSettings();
  const explicit = new Set<string>();
  const errors: string[] = [];
  for (const [key, raw] of Object.entries(annotations ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    if (!key.startsWith(ANNOTATION_PREFIX)) continue;
    const name = key.slice(ANNOTATION_PREFIX.length);
    const spec = ANNOTATIONS.find((a) => a.name === name);
    if (!spec) {
      errors.push(unknownKey(key, name));
      continue;
    }
    const value = typeof raw === 'string' ? raw.trim() : String(raw);
    const problem = spec.parse(value, settings);
    // The value and the parser's reason (which may quote parts of it) are bounded: see core/echo.ts.
    if (problem !== undefined)
      errors.push(`${key}: "${echo(value)}" is not valid (${clip(problem, 200)}); accepted: ${spec.accepted}`);
    else if (!spec.owned) explicit.add(name);
  }
  return { optedIn: true, settings: { ...settings, explicit }, errors };
}

function unknownKey(key: string, name: string): string {
  const hint = closest(name, ANNOTATION_NAMES);
  const known = ANNOTATIONS.filter((a) => !a.owned)
    .map((a) => ANNOTATION_PREFIX + a.name)
    .join(', ');
  const suggestion = hint ? ` (did you mean ${ANNOTATION_PREFIX}${hint}?)` : '';
  return `${echo(key, 120)} is not a kserve-llmd annotation${suggestion}; known: ${known}`;
}
