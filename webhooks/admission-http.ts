/**
 * The admission POST path, on plain node:http request/response objects. Express 5's router and body parser
 * cost about 200 µs of CPU per review on this path (measured with bench/webhook.ts), ten times the decision
 * itself; the API server waits on every one of them, so the hot path reads and answers the body directly.
 * Health, readiness, metrics, 404 and 405 stay on express (webhooks/app.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../src/log.js';
import type { AdmissionResult, WebhookMetrics } from './metrics.js';
import type { AdmissionHandler, AdmissionRequest, AdmissionResponse } from './admission-types.js';
import { readAdmissionBody, RETRY_AFTER_SECONDS } from './admission-body.js';
import { errored } from './admission.js';
import type { ByteBudget } from './byte-budget.js';
import { clip, DENIAL_CHARS, echo, MESSAGE_CHARS } from '../core/echo.js';

export { MAX_BODY_BYTES, MAX_BUFFERED_BYTES } from './admission-body.js';

export interface AdmissionHttpOptions {
  logger: Logger;
  metrics: WebhookMetrics;
  /** Shared by every admission path of one server (see MAX_BUFFERED_BYTES). */
  budget: ByteBudget;
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
    let release = (): void => undefined;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      bound.inFlight.dec();
      release();
      opts.metrics.bufferedBytes.set(opts.budget.used);
    };
    const fail = (code: number, error: string, close = false): void => {
      settle();
      bound.count(String(code), 'error');
      if (code === 400) opts.logger.warn('rejected malformed AdmissionReview', { webhook, error });
      if (code === 429 || code === 413) opts.logger.warn('refused an AdmissionReview upload', { webhook, code, error });
      sendJson(res, code, { error }, close, code === 429 ? String(RETRY_AFTER_SECONDS) : undefined);
    };
    const unsupported = contentTypeProblem(req);
    if (unsupported) return fail(415, unsupported);
    release = readAdmissionBody(req, opts.budget, (outcome) => {
      if (outcome.kind === 'aborted') return settle(); // the socket is gone: nobody to answer
      if (outcome.kind === 'refused') return fail(outcome.status, outcome.error, outcome.close);
      let parsed: unknown;
      try {
        parsed = JSON.parse(outcome.text);
      } catch (e) {
        return fail(400, `malformed JSON: ${clip((e as Error).message, 200)}`);
      }
      const checked = admissionRequest(parsed);
      if (typeof checked === 'string') return fail(400, checked);
      answer(webhook, handler, checked, res, { ...opts, bound });
      settle();
    });
    opts.metrics.bufferedBytes.set(opts.budget.used);
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

type AnswerOptions = AdmissionHttpOptions & { bound: BoundMetrics };

function answer(
  webhook: string,
  handler: AdmissionHandler,
  request: AdmissionRequest,
  res: ServerResponse,
  opts: AnswerOptions,
): void {
  const started = process.hrtime.bigint();
  const decision = decide(webhook, handler, request, opts.logger);
  sendReview(webhook, res, request.uid, decision.response, opts.logger);
  record(webhook, request, decision, Number(process.hrtime.bigint() - started) / 1e9, opts);
}

interface Decision {
  response: AdmissionResponse;
  result: AdmissionResult;
}

/**
 * Calls the core; a throw is a bug, answered like controller-runtime's recovered panic: 500 with the UID and a
 * stable message, while the error itself goes to the log under that UID.
 */
function decide(webhook: string, handler: AdmissionHandler, request: AdmissionRequest, logger: Logger): Decision {
  let response: AdmissionResponse;
  try {
    response = handler(request);
    if (typeof response !== 'object' || response === null || typeof response.allowed !== 'boolean') {
      throw new Error('handler returned no AdmissionResponse');
    }
  } catch (err) {
    logFailure(logger, webhook, request.uid, err);
    return { response: errored(request.uid, 500, webhook), result: 'error' };
  }
  // The API server rejects a response whose uid differs from the request's; never let that happen.
  response = bounded({ ...response, uid: request.uid });
  const result: AdmissionResult = !response.allowed ? 'denied' : response.patch ? 'patched' : 'allowed';
  return { response, result };
}

/** The last guard on echoed input: a message and each warning fit on a terminal, whatever a core wrote. */
function bounded(response: AdmissionResponse): AdmissionResponse {
  const message = response.status?.message;
  const tooLong = typeof message === 'string' && message.length > DENIAL_CHARS;
  const warnings = response.warnings;
  const clipWarnings = warnings?.some((w) => typeof w !== 'string' || w.length > MESSAGE_CHARS) ?? false;
  if (!tooLong && !clipWarnings) return response;
  return {
    ...response,
    ...(tooLong && response.status ? { status: { ...response.status, message: clip(message, DENIAL_CHARS) } } : {}),
    ...(clipWarnings && warnings ? { warnings: warnings.map((w) => clip(String(w))) } : {}),
  };
}

function logFailure(logger: Logger, webhook: string, uid: string, err: unknown): void {
  logger.error('admission handler failed', {
    webhook,
    uid,
    error: err instanceof Error ? err.message : String(err),
    ...(err instanceof Error && err.stack ? { stack: err.stack } : {}),
  });
}

function sendReview(
  webhook: string,
  res: ServerResponse,
  uid: string,
  response: AdmissionResponse,
  logger: Logger,
): void {
  let body: string;
  try {
    body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response });
  } catch (err) {
    logFailure(logger, webhook, uid, err);
    body = JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: errored(uid, 500, webhook),
    });
  }
  res
    .writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) })
    .end(body);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  close = false,
  retryAfter?: string,
): void {
  const body = JSON.stringify(value);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  };
  if (close) headers.connection = 'close';
  if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
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
  // Every field that comes from the request is bounded: names are validated only after admission.
  logger.info('admission', {
    webhook,
    uid: echo(req.uid, 128),
    kind: typeof kind === 'string' ? echo(kind) : kind,
    namespace: typeof req.namespace === 'string' ? echo(req.namespace, 253) : req.namespace,
    name: typeof req.name === 'string' ? echo(req.name, 253) : req.name,
    operation: typeof req.operation === 'string' ? echo(req.operation, 16) : req.operation,
    outcome: result,
    latencyMs: Math.round(seconds * 1e6) / 1e3,
    ...(result === 'denied' || result === 'error' ? { message: clip(String(response.status?.message)) } : {}),
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
