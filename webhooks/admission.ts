/**
 * Response helpers (controller-runtime pkg/webhook/admission/response.go): every response is built here,
 * so every response echoes the request UID and patches always come from a diff.
 */
import fastJsonPatch from 'fast-json-patch';
import type { AdmissionResponse } from './admission-types.js';

const { compare } = fastJsonPatch;

export function allowed(uid: string, warnings: string[] = []): AdmissionResponse {
  return withWarnings({ uid, allowed: true }, warnings);
}

/** A denial: 422 Unprocessable Entity, as the API server reports invalid objects. */
export function denied(uid: string, message: string, code = 422, warnings: string[] = []): AdmissionResponse {
  return withWarnings(
    {
      uid,
      allowed: false,
      status: { code, message, reason: code === 422 ? 'Invalid' : 'Forbidden', status: 'Failure' },
    },
    warnings,
  );
}

/**
 * A bug or an unexpected failure inside the webhook: still a well-formed response carrying the UID, with a stable
 * message. The error's own text (`Cannot read properties of null …`) means nothing to the user and may quote
 * internals; the caller logs it under the same UID.
 */
export function errored(uid: string, code: number, webhook = 'kserve-llmd'): AdmissionResponse {
  return {
    uid,
    allowed: false,
    status: {
      code,
      message:
        `kserve-llmd: internal error in ${webhook}; nothing was changed. Retry, and if it persists report it ` +
        `with the webhook log line for uid ${uid}`,
      reason: 'InternalError',
      status: 'Failure',
    },
  };
}

/**
 * Allowed with the RFC 6902 diff of original → mutated (base64, patchType JSONPatch).
 * An empty diff answers with no patch at all: re-mutating an already-mutated object changes nothing.
 */
export function patched(uid: string, original: unknown, mutated: unknown, warnings: string[] = []): AdmissionResponse {
  const ops = jsonPatch(original, mutated);
  if (ops.length === 0) return allowed(uid, warnings);
  return withWarnings(
    { uid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') },
    warnings,
  );
}

export type JsonPatchOp = ReturnType<typeof compare>[number];

/**
 * The JSON patch between two plain JSON values. Subtrees the mutation shares with the original (the same
 * reference) are skipped without a walk: the InferenceService mutation copies only what it writes, and a real
 * object's managedFields and last-applied-configuration are most of its bytes. Maps are diffed key by key;
 * anything else that differs is handed to fast-json-patch, whose operations get the path prefix.
 */
export function jsonPatch(original: unknown, mutated: unknown): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  diff(original, mutated, '', ops);
  return ops;
}

// RFC 6901: '~' → '~0', '/' → '~1'. Most keys have neither; skip the two regex passes for them.
const escape = (key: string): string =>
  key.includes('~') || key.includes('/') ? key.replace(/~/g, '~0').replace(/\//g, '~1') : key;
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function diff(a: unknown, b: unknown, path: string, ops: JsonPatchOp[]): void {
  if (a === b) return;
  if (isMap(a) && isMap(b)) return diffMaps(a, b, path, ops);
  if (Array.isArray(a) && Array.isArray(b)) {
    for (const op of compare(a, b)) ops.push({ ...op, path: `${path}${op.path}` } as JsonPatchOp);
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) ops.push({ op: 'replace', path, value: b });
}

/** Two mappings: a key set to undefined counts as absent (JSON drops it). */
function diffMaps(a: Record<string, unknown>, b: Record<string, unknown>, path: string, ops: JsonPatchOp[]): void {
  const has = (o: Record<string, unknown>, key: string): boolean => Object.hasOwn(o, key) && o[key] !== undefined;
  for (const key of Object.keys(a)) {
    if (a[key] === undefined) continue;
    if (!has(b, key)) ops.push({ op: 'remove', path: `${path}/${escape(key)}` });
    else diff(a[key], b[key], `${path}/${escape(key)}`, ops);
  }
  for (const key of Object.keys(b)) {
    if (b[key] !== undefined && !has(a, key)) ops.push({ op: 'add', path: `${path}/${escape(key)}`, value: b[key] });
  }
}

function withWarnings(response: AdmissionResponse, warnings: string[]): AdmissionResponse {
  return warnings.length > 0 ? { ...response, warnings } : response;
}
