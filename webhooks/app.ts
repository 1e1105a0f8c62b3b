/**
 * The HTTP edge of the admission webhooks (controller-runtime pkg/webhook/admission/http.go):
 * validate the envelope, call the pure decision core, always answer an AdmissionReview that echoes
 * the request UID, and turn every malformed input into a JSON 4xx instead of a crash.
 */
import express, { type ErrorRequestHandler, type Express, type Request, type RequestHandler, type Response } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '../src/log.js';
import type { AdmissionResult, WebhookMetrics } from '../src/metrics.js';
import type { AdmissionHandler, AdmissionRequest, AdmissionResponse } from '../src/types/admission.js';
import { errored } from './admission.js';

export interface WebhookAppOptions {
  /** Path (e.g. '/mutate-inferenceservice') → decision core. */
  handlers: Record<string, AdmissionHandler>;
  logger: Logger;
  metrics: WebhookMetrics;
  ready: () => boolean;
  registry: Registry;
}

/** controller-runtime: "the request body is limited to 7MB: two objects (object and oldObject), each at most 3MB, plus overhead". */
export const MAX_BODY = '7mb';

export function createWebhookApp(opts: WebhookAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // admission responses are never cached; skip hashing every body
  app.get('/healthz', (_req, res) => void res.type('text/plain').send('ok'));
  app.get('/readyz', (_req, res) => void (opts.ready() ? res.type('text/plain').send('ok') : res.status(503).type('text/plain').send('not ready')));
  app.get('/metrics', async (_req, res) => {
    const body = await opts.registry.metrics();
    res.type(opts.registry.contentType).send(body);
  });
  const json = express.json({ limit: MAX_BODY });
  for (const [path, handler] of Object.entries(opts.handlers)) {
    app.post(path, requireJson(path, opts.metrics), json, admit(path, handler, opts));
    app.all(path, (_req, res) => void res.status(405).set('Allow', 'POST').json({ error: `method not allowed; use POST ${path}` }));
  }
  app.use((req, res) => void res.status(404).json({ error: `no route for ${req.method} ${req.path}` }));
  app.use(jsonErrors(opts));
  return app;
}

function requireJson(webhook: string, metrics: WebhookMetrics): RequestHandler {
  return (req, res, next) => {
    // Content-Type must be application/json (a charset parameter is fine), as controller-runtime demands.
    if (req.is('application/json')) return next();
    metrics.requests.inc({ webhook, code: '415', result: 'error' });
    res.status(415).json({ error: `Content-Type must be application/json, got ${describe(req.get('content-type') ?? '')}` });
  };
}

function admit(webhook: string, handler: AdmissionHandler, opts: WebhookAppOptions): RequestHandler {
  const { metrics, logger } = opts;
  return (req, res) => {
    const checked = admissionRequest(req.body);
    if (typeof checked === 'string') {
      metrics.requests.inc({ webhook, code: '400', result: 'error' });
      logger.warn('rejected malformed AdmissionReview', { webhook, error: checked });
      res.status(400).json({ error: checked });
      return;
    }
    const started = process.hrtime.bigint();
    metrics.inFlight.inc({ webhook });
    try {
      const decision = decide(handler, checked);
      send(res, checked.uid, decision.response);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      record(webhook, checked, decision, seconds, opts);
    } finally {
      metrics.inFlight.dec({ webhook });
    }
  };
}

/** Calls the core; a throw is a bug, answered like controller-runtime's recovered panic: 500 with the UID. */
interface Decision {
  response: AdmissionResponse;
  result: AdmissionResult;
}

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

function send(res: Response, uid: string, response: AdmissionResponse): void {
  let body: string;
  try {
    body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response });
  } catch (err) {
    body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: errored(uid, 500, err) });
  }
  // writeHead + end instead of res.send: skips express's per-response content-type/etag/freshness
  // work, measurably cheaper on the hot path (bench/webhook.ts).
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
}

function record(webhook: string, req: AdmissionRequest, decision: Decision, seconds: number, opts: WebhookAppOptions): void {
  const { metrics, logger } = opts;
  const { response, result } = decision;
  metrics.requests.inc({ webhook, code: '200', result });
  metrics.latency.observe({ webhook }, seconds);
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
  if (review.apiVersion !== 'admission.k8s.io/v1') return `apiVersion must be "admission.k8s.io/v1", got ${describe(review.apiVersion)}`;
  if (review.kind !== 'AdmissionReview') return `kind must be "AdmissionReview", got ${describe(review.kind)}`;
  const request = review.request;
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return 'request must be an object';
  const uid = (request as Record<string, unknown>).uid;
  if (typeof uid !== 'string' || uid === '') return 'request.uid must be a non-empty string';
  return request as AdmissionRequest;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}

/** Final error middleware: express 5's default answers HTML; the API server and humans want JSON. */
function jsonErrors(opts: WebhookAppOptions): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, _next) => {
    const e = (typeof err === 'object' && err !== null ? err : {}) as { type?: string; status?: number; message?: string };
    const status = statusFor(e);
    if (status >= 500) opts.logger.error('request failed', { path: req.path, error: e.message ?? String(err) });
    if (Object.hasOwn(opts.handlers, req.path)) opts.metrics.requests.inc({ webhook: req.path, code: String(status), result: 'error' });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const message = status >= 500 ? 'internal error' : (e.message ?? 'bad request');
    res.status(status).json({ error: message });
  };
}

function statusFor(e: { type?: string; status?: number }): number {
  switch (e.type) {
    case 'entity.too.large':
      return 413;
    case 'entity.parse.failed':
      return 400;
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return 415;
  }
  return typeof e.status === 'number' && e.status >= 400 && e.status < 500 ? e.status : 500;
}
