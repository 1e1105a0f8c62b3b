/**
 * Reading an AdmissionReview body with memory bounded whatever the peers send (issue 14: 40 concurrent 7 MB
 * reviews, or one 7 MB review of empty objects, took the webhook past its memory limit):
 * - one body is at most MAX_BODY_BYTES (413, connection closed);
 * - all bodies being received share MAX_BUFFERED_BYTES; an upload that does not fit is answered 429 with
 *   Retry-After, which the API server's client retries after that many seconds (client-go rest/with_retry.go
 *   checkWait: 429 or 5xx with Retry-After, at Kubernetes v1.28.7). A refused body of up to
 *   DISCARD_REFUSED_BYTES (every real review) is read and dropped first, so the client reads a clean answer on
 *   a connection it can reuse; a bigger one is answered at once and its connection closed (the peer may see a
 *   reset instead of the 429; nothing of it is decrypted or kept);
 * - a large body is scanned before JSON.parse: a 7 MB body of `{},{},…` parses into 2.4 million objects (over
 *   300 MB of heap), so more than MAX_JSON_CONTAINERS objects and arrays is refused with 413. Bodies under
 *   SCAN_ABOVE_BYTES are not scanned: whatever they hold parses into a few MB at most.
 */
import type { IncomingMessage } from 'node:http';
import type { ByteBudget } from './byte-budget.js';

/**
 * controller-runtime: "the request body is limited to 7MB: two objects (object and oldObject), each at most 3MB,
 * plus overhead".
 */
export const MAX_BODY_BYTES = 7 * 1024 * 1024;

/**
 * Body bytes all admission uploads together may hold at once: two maximal reviews, or well over a thousand real
 * ones (an InferenceService or Pod review is a few KB to a few hundred KB). Each buffered review costs about
 * five times its size again while it is parsed and answered, one at a time. At this bound 40 concurrent 7 MB
 * reviews peaked at 150–175 MiB RSS (test/reliability/webhook-memory.test.ts; idle: 76 MiB compiled), under the
 * manifest's 256 Mi limit with about 45 % to spare; at four reviews the peak was 200–245 MiB.
 */
export const MAX_BUFFERED_BYTES = 2 * MAX_BODY_BYTES;

/** JSON objects and arrays in one review, at most. A real Pod review, managedFields included, has a few thousand. */
export const MAX_JSON_CONTAINERS = 100_000;
export const SCAN_ABOVE_BYTES = 256 * 1024;

/** A refused upload this small is read and dropped so its client gets a clean 429 (see above). */
export const DISCARD_REFUSED_BYTES = 1024 * 1024;

/** Seconds a refused upload is told to wait: the API server retries well inside its 5–10 s webhook timeout. */
export const RETRY_AFTER_SECONDS = 1;

export type BodyOutcome =
  | { kind: 'body'; text: string }
  /** `close`: the rest of the upload was not read, so the connection must close after the answer. */
  | { kind: 'refused'; status: 413 | 429; error: string; close: boolean }
  /** The client went away mid-upload; there is nobody to answer. */
  | { kind: 'aborted' };

/**
 * Read `req` into a string, or refuse it. `done` is called exactly once. The returned function gives the body's
 * bytes back to the budget; the caller calls it once the review is answered.
 */
export function readAdmissionBody(
  req: IncomingMessage,
  budget: ByteBudget,
  done: (outcome: BodyOutcome) => void,
): () => void {
  let held = 0;
  let finished = false;
  const release = (): void => {
    budget.give(held);
    held = 0;
  };
  const finish = (outcome: BodyOutcome): void => {
    if (finished) return;
    finished = true;
    done(outcome);
  };
  const declared = Number(req.headers['content-length']);
  if (declared > MAX_BODY_BYTES) {
    finish({
      kind: 'refused',
      status: 413,
      error: `request entity too large: ${declared} bytes, limit ${MAX_BODY_BYTES}`,
      close: true,
    });
    return release;
  }
  // A declared length is reserved (and allocated) up front; a chunked upload reserves chunk by chunk.
  const upfront = Number.isSafeInteger(declared) && declared > 0;
  const discarding = upfront && !budget.take(declared);
  if (discarding && declared > DISCARD_REFUSED_BYTES) {
    finish({ kind: 'refused', status: 429, error: overBudget(budget), close: true });
    return release;
  }
  if (upfront && !discarding) held = declared;
  const buffer = upfront && !discarding ? Buffer.allocUnsafe(declared) : undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    if (finished || discarding) return;
    if (size + chunk.length > MAX_BODY_BYTES) {
      chunks.length = 0;
      req.pause();
      finish({
        kind: 'refused',
        status: 413,
        error: `request entity too large: over ${MAX_BODY_BYTES} bytes`,
        close: true,
      });
      return;
    }
    if (buffer) {
      chunk.copy(buffer, size);
    } else if (budget.take(chunk.length)) {
      held += chunk.length;
      chunks.push(chunk);
    } else {
      // Over the shared bound (a chunked upload): answer now and close; keep nothing.
      chunks.length = 0;
      release();
      req.pause();
      finish({ kind: 'refused', status: 429, error: overBudget(budget), close: true });
      return;
    }
    size += chunk.length;
  });
  req.on('end', () => {
    if (discarding) {
      finish({ kind: 'refused', status: 429, error: overBudget(budget), close: false });
      return;
    }
    const body = buffer ? buffer.subarray(0, size) : Buffer.concat(chunks, size);
    chunks.length = 0;
    if (body.length > SCAN_ABOVE_BYTES && tooManyContainers(body, MAX_JSON_CONTAINERS)) {
      finish({
        kind: 'refused',
        status: 413,
        error: `request entity too complex: more than ${MAX_JSON_CONTAINERS} JSON objects and arrays`,
        close: false,
      });
      return;
    }
    finish({ kind: 'body', text: body.toString('utf8') });
  });
  req.on('error', () => finish({ kind: 'aborted' }));
  return release;
}

function overBudget(budget: ByteBudget): string {
  return `too many admission request bytes in flight (limit ${budget.limit}); retry after ${RETRY_AFTER_SECONDS} s`;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;

/** Whether `json` opens more than `limit` objects and arrays (brackets inside strings do not count). */
export function tooManyContainers(json: Uint8Array, limit: number): boolean {
  let count = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if ((c === OPEN_BRACE || c === OPEN_BRACKET) && ++count > limit) return true;
  }
  return false;
}
