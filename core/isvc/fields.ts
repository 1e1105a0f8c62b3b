/**
 * Writes defaults without ever overwriting what a user wrote.
 *
 * The webhook remembers what it set in the annotation `kserve-llmd.io/defaulted`: a JSON object that mirrors
 * the InferenceService with only the fields it filled in, e.g. `{"spec":{"predictor":{"minReplicas":1}}}`.
 * A field whose live value still equals what the webhook recorded is the webhook's to update or remove;
 * any other value is the user's. Without the record, a default written on CREATE would look user-set on the
 * next GitOps re-apply (client-side apply keeps fields absent from Git) and block a change of annotation.
 */
import { ANNOTATION_PREFIX } from '../names.js';
import { isRecord } from '../../src/types/kube.js';

export const DEFAULTED_ANNOTATION = `${ANNOTATION_PREFIX}defaulted`;

export type Path = readonly string[];

/** Every leaf (a value that is not a map) of a record, with its path. */
function leaves(record: Record<string, unknown>, prefix: string[] = []): Array<[string[], unknown]> {
  return Object.entries(record).flatMap(([key, value]) =>
    isRecord(value) ? leaves(value, [...prefix, key]) : [[[...prefix, key], value] as [string[], unknown]],
  );
}

export function getAt(obj: unknown, path: Path): unknown {
  let cur: unknown = obj;
  for (const t of path) {
    if (!isRecord(cur)) return undefined;
    cur = cur[t];
  }
  return cur;
}

function setAt(obj: Record<string, unknown>, path: Path, value: unknown): void {
  let cur = obj;
  for (const t of path.slice(0, -1)) {
    if (!isRecord(cur[t])) cur[t] = {};
    cur = cur[t] as Record<string, unknown>;
  }
  cur[path[path.length - 1] as string] = value;
}

/**
 * Delete a field; if that leaves a map the webhook may have created to hold it empty (the predictor's labels or
 * annotations), delete that map too. Nothing else is pruned: a hand-crafted record naming the only field of
 * spec.predictor once made the patch `remove /spec/predictor` (issue 14).
 */
function deleteAt(obj: unknown, path: Path): void {
  const parentPath = path.slice(0, -1);
  const parent = getAt(obj, parentPath);
  if (!isRecord(parent)) return;
  delete parent[path[path.length - 1] as string];
  if (Object.keys(parent).length > 0 || !PRUNABLE.has(parentPath.join('\u0000'))) return;
  const grand = getAt(obj, parentPath.slice(0, -1));
  if (isRecord(grand)) delete grand[parentPath[parentPath.length - 1] as string];
}

const PRUNABLE = new Set([
  ['spec', 'predictor', 'labels'].join('\u0000'),
  ['spec', 'predictor', 'annotations'].join('\u0000'),
]);

export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Parse the record; anything unreadable counts as "nothing recorded" (the user's values then win). */
export function readRecord(annotations: Record<string, string> | undefined): Record<string, unknown> {
  const text = annotations?.[DEFAULTED_ANNOTATION];
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

export class FieldWriter {
  private readonly record: Record<string, unknown> = {};
  private recorded = false;
  readonly conflicts: string[] = [];

  constructor(
    private readonly draft: Record<string, unknown>,
    private readonly previous: Record<string, unknown>,
  ) {}

  /** The value at `path` is the user's (set, and not what the webhook recorded). */
  userValue(path: Path): unknown {
    const current = getAt(this.draft, path);
    return current === undefined || this.isOurs(path, current) ? undefined : current;
  }

  /**
   * Set `path` to `value` unless the user set it. When the user's value differs, `onUserValue` may return a
   * conflict message (deny) or undefined (the user's value stands).
   */
  setDefault(path: Path, value: unknown, onUserValue?: (current: unknown) => string | undefined): void {
    const current = getAt(this.draft, path);
    if (current === undefined || this.isOurs(path, current)) {
      setAt(this.draft, path, value);
      setAt(this.record, path, value);
      this.recorded = true;
      return;
    }
    if (sameValue(current, value)) return;
    const conflict = onUserValue?.(current);
    if (conflict) this.conflicts.push(conflict);
  }

  /** Remove what the webhook set before and no longer wants; write the new record (sorted: deterministic). */
  finish(): void {
    for (const [path, value] of leaves(this.previous)) {
      if (getAt(this.record, path) !== undefined || !writable(path)) continue;
      if (sameValue(getAt(this.draft, path), value)) deleteAt(this.draft, path);
    }
    const annotations = (
      isRecord(getAt(this.draft, ['metadata', 'annotations']))
        ? getAt(this.draft, ['metadata', 'annotations'])
        : undefined
    ) as Record<string, string> | undefined;
    if (!this.recorded) {
      if (annotations) delete annotations[DEFAULTED_ANNOTATION];
      return;
    }
    setAt(this.draft, ['metadata', 'annotations', DEFAULTED_ANNOTATION], JSON.stringify(sortKeys(this.record)));
  }

  private isOurs(path: Path, current: unknown): boolean {
    const previous = getAt(this.previous, path);
    return previous !== undefined && !isRecord(previous) && sameValue(previous, current);
  }
}

/**
 * Where the webhook ever writes (and so the only places a record may name): a hand-edited record cannot make
 * it delete anything else, and the mutation's copy-on-write draft (mutate.ts) holds fresh maps exactly there.
 */
function writable(path: readonly string[]): boolean {
  const key = path.join('\u0000');
  const under = (...prefix: string[]): boolean =>
    path.length === prefix.length + 1 && key.startsWith(prefix.join('\u0000') + '\u0000');
  return (
    WRITABLE_FIELDS.has(key) ||
    under('spec', 'predictor', 'labels') ||
    under('spec', 'predictor', 'annotations') ||
    under('metadata', 'annotations')
  );
}

const WRITABLE_FIELDS = new Set(
  [
    ['spec', 'predictor', 'minReplicas'],
    ['spec', 'predictor', 'maxReplicas'],
    ['spec', 'predictor', 'timeout'],
    ['spec', 'predictor', 'model', 'runtime'],
  ].map((p) => p.join('\u0000')),
);

/** Keys sorted at every level: the annotation is deterministic whatever order the mutators ran in. */
function sortKeys(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, isRecord(value[k]) ? sortKeys(value[k] as Record<string, unknown>) : value[k]]),
  );
}
