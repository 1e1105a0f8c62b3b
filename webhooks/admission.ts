/**
 * Response helpers (controller-runtime pkg/webhook/admission/response.go): every response is built here,
 * so every response echoes the request UID and patches always come from a diff.
 */
import fastJsonPatch from 'fast-json-patch';
import type { AdmissionResponse } from '../src/types/admission.js';

const { compare } = fastJsonPatch;

export function allowed(uid: string, warnings: string[] = []): AdmissionResponse {
  return withWarnings({ uid, allowed: true }, warnings);
}

/** A denial: 422 Unprocessable Entity, as the API server reports invalid objects. */
export function denied(uid: string, message: string, code = 422, warnings: string[] = []): AdmissionResponse {
  return withWarnings(
    { uid, allowed: false, status: { code, message, reason: code === 422 ? 'Invalid' : 'Forbidden', status: 'Failure' } },
    warnings,
  );
}

/** A bug or an unexpected failure inside the webhook: still a well-formed response carrying the UID. */
export function errored(uid: string, code: number, err: unknown): AdmissionResponse {
  const message = err instanceof Error ? err.message : String(err);
  return { uid, allowed: false, status: { code, message: `kserve-llmd webhook error: ${message}`, reason: 'InternalError', status: 'Failure' } };
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

/** The JSON patch between two plain JSON values. */
export function jsonPatch(original: unknown, mutated: unknown): JsonPatchOp[] {
  return compare(original as object, mutated as object);
}

function withWarnings(response: AdmissionResponse, warnings: string[]): AdmissionResponse {
  return warnings.length > 0 ? { ...response, warnings } : response;
}
