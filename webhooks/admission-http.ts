/**
 * The admission POST path, on plain node:http request/response objects. Express 5's router and body parser
 * cost about 200 µs of CPU per review on this path (measured with bench/webhook.ts), ten times the decision
 * itself; the API server waits on every one of them, so the hot path reads and answers the body directly.
 * Health, readiness, metrics, 404 and 405 stay on express (webhooks/app.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../src/log.js';
import type { AdmissionResult, WebhookMetrics } from '../src/metrics.js';
import type { AdmissionHandler, AdmissionRequest, AdmissionResponse } from '../src/types/admission.js';
import { errored } from './admission.js';

/** controller-runtime: "the request body is limited to 7MB: two objects (object and oldObject), each at most 3MB, plus overhead". */
export const MAX_BODY_BYTES = 7 * 1024 * 1024;

export interface AdmissionHttpOptions {
  logger: Logger;
  metrics: WebhookMetrics;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Per-webhook metric children, resolved once: prom-client hashes the label set on every `inc({…})`, which is
 * measurable at thousands of reviews per second; a bound child skips it.
 */
interface BoundMetrics {
  inFlight: { inc(): void; dec(): void };
  latency: { observe(seconds: number): void };
  count(code: string, result: AdmissionResult): void;
}

function bind(webhook: string, metrics: WebhookMetrics): BoundMetrics {
  const counters = new Map<string, { inc(): void }>();
  return {
    inFlight: metrics.inFlight.labels({ webhook }),
    latency: metrics.latency.labels({ webhook }),
    count(code, result) {
      const key = `${code}/${result}`;
      let child = counters.get(key);
      if (!child) counters.set(key, (child = metrics.requests.labels({ webhook, code, result })));
      child.inc();
    },
  };
}

export function admissionListener(webhook: string, handler: AdmissionHandler, opts: AdmissionHttpOptions): Listener {
  const bound = bind(webhook, opts.metrics);
  return (req, res) => {
    // In flight from the request's arrival to its answer (body upload included), whatever the outcome.
    // (Settled by hand rather than on res 'close': one listener fewer per review on the hot path.)
    bound.inFlight.inc();
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      bound.inFlight.dec();
    };
    const fail = (code: number, error: string): void => {
      settle();
      bound.count(String(code), 'error');
      if (code === 400) opts.logger.warn('rejected malformed AdmissionReview', { webhook, error });
      sendJson(res, code, { error }, code === 413);
    };
    const unsupported = contentTypeProblem(req);
    if (unsupported) return fail(415, unsupported);
    const declared = Number(req.headers['content-length']);
    if (declared > MAX_BODY_BYTES)
      return fail(413, `request entity too large: ${declared} bytes, limit ${MAX_BODY_BYTES}`);
    readBody(req, settle, (err, body) => {
      if (err) return fail(413, err.message);
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch (e) {
        return fail(400, `malformed JSON: ${(e as Error).message}`);
      }
      const checked = admissionRequest(parsed);
      if (typeof checked === 'string') return fail(400, checked);
      answer(webhook, handler, checked, res, { ...opts, bound });
      settle();
    });
  };
}

/** Content-Type must be application/json (controller-runtime), in UTF-8, not compressed. */
function contentTypeProblem(req: IncomingMessage): string | undefined {
  const header = req.headers['content-type'] ?? '';
  const [media, ...params] = header.split(';').map((p) => p.trim().toLowerCase());
  if (media !== 'application/json') return `Content-Type must be application/json, got ${describe(header)}`;
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice(8)
    .replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
    return `unsupported charset "${charset}"; use utf-8`;
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity') return `unsupported Content-Encoding "${encoding}"`;
  return undefined;
}

function readBody(
  req: IncomingMessage,
  aborted: () => void,
  done: (err: Error | undefined, body: string) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  req.on('data', (chunk: Buffer) => {
    if (finished) return;
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      finished = true;
      req.pause();
      done(new Error(`request entity too large: over ${MAX_BODY_BYTES} bytes`), '');
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (finished) return;
    finished = true;
    done(undefined, Buffer.concat(chunks, size).toString('utf8'));
  });
  // An aborted upload has nobody to answer; the socket is already gone.
  req.on('error', () => {
    finished = true;
    aborted();
  });
}

type AnswerOptions = AdmissionHttpOptions & { bound: BoundMetrics };

function answer(
  webhook: string,
  handler: AdmissionHandler,
  request: AdmissionRequest,
  res: ServerResponse,
  opts: AnswerOptions,
): void {
  const started = process.hrtime.bigint();
  const decision = decide(handler, request);
  sendReview(res, request.uid, decision.response);
  record(webhook, request, decision, Number(process.hrtime.bigint() - started) / 1e9, opts);
}

interface Decision {
  response: AdmissionResponse;
  result: AdmissionResult;
}

/** Calls the core; a throw is a bug, answered like controller-runtime's recovered panic: 500 with the UID. */
function decide(handler: AdmissionHandler, request: AdmissionRequest): Decision {
  let response: AdmissionResponse;
  try {
    response = handler(request);
    if (typeof response !== 'object' || response === null || typeof response.allowed !== 'boolean') {
      throw new Error('handler returned no AdmissionResponse');
    }
  } catch (err) {
    return { response: errored(request.uid, 500, err), result: 'error' };
  }
  // The API server rejects a response whose uid differs from the request's; never let that happen.
  response = { ...response, uid: request.uid };
  const result: AdmissionResult = !response.allowed ? 'denied' : response.patch ? 'patched' : 'allowed';
  return { response, result };
}

function sendReview(res: ServerResponse, uid: string, response: AdmissionResponse): void {
  let body: string;
  try {
    body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response });
  } catch (err) {
    body = JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: errored(uid, 500, err),
    });
  }
  res
    .writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) })
    .end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, close = false): void {
  const body = JSON.stringify(value);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  };
  // After a 413 the rest of the upload is unread: close the connection rather than drain megabytes.
  if (close) headers.connection = 'close';
  res.writeHead(status, headers).end(body);
}

function record(
  webhook: string,
  req: AdmissionRequest,
  decision: Decision,
  seconds: number,
  opts: AnswerOptions,
): void {
  const { metrics, logger, bound } = opts;
  const { response, result } = decision;
  bound.count('200', result);
  bound.latency.observe(seconds);
  if (result === 'denied') metrics.denials.inc({ webhook, reason: reasonLabel(response.status?.reason) });
  const kind = typeof req.kind === 'object' && req.kind !== null ? req.kind.kind : undefined;
  logger.info('admission', {
    webhook,
    uid: req.uid,
    kind,
    namespace: req.namespace,
    name: req.name,
    operation: req.operation,
    outcome: result,
    latencyMs: Math.round(seconds * 1e6) / 1e3,
    ...(result === 'denied' || result === 'error' ? { message: response.status?.message } : {}),
  });
}

/** A bounded, stable label value: Prometheus label cardinality must not follow input. */
function reasonLabel(reason: unknown): string {
  if (typeof reason !== 'string' || reason === '') return 'unspecified';
  return reason.length <= 64 && /^[A-Za-z0-9_.-]+$/.test(reason) ? reason : 'other';
}

/** The envelope check; returns the request or a message naming what is wrong. */
export function admissionRequest(body: unknown): AdmissionRequest | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body is not a JSON object';
  const review = body as Record<string, unknown>;
  if (review.apiVersion !== 'admission.k8s.io/v1')
    return `apiVersion must be "admission.k8s.io/v1", got ${describe(review.apiVersion)}`;
  if (review.kind !== 'AdmissionReview') return `kind must be "AdmissionReview", got ${describe(review.kind)}`;
  const request = review.request;
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return 'request must be an object';
  const uid = (request as Record<string, unknown>).uid;
  if (typeof uid !== 'string' || uid === '') return 'request.uid must be a non-empty string';
  return request as AdmissionRequest;
}

export function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}
