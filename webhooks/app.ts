/**
 * The HTTP edge of the admission webhooks (controller-runtime pkg/webhook/admission/http.go): validate the
 * envelope, call the pure decision core, always answer an AdmissionReview that echoes the request UID, and
 * turn every malformed input into a JSON 4xx instead of a crash. Admission POSTs take the lean path in
 * admission-http.ts; everything else (health, readiness, 404, 405) is served by express. /metrics is not served
 * here: it is on its own plain-HTTP port (src/ops-server.ts), so the port the API server must reach
 * carries nothing but admission and probes.
 */
import type { RequestListener } from 'node:http';
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import type { Logger } from '../src/log.js';
import type { WebhookMetrics } from './metrics.js';
import type { AdmissionHandler } from './admission-types.js';
import { admissionListener, MAX_BUFFERED_BYTES } from './admission-http.js';
import { ByteBudget } from './byte-budget.js';

export { admissionRequest, MAX_BODY_BYTES, MAX_BUFFERED_BYTES } from './admission-http.js';

export interface WebhookAppOptions {
  /** Path (e.g. '/mutate-inferenceservice') → decision core. */
  handlers: Record<string, AdmissionHandler>;
  logger: Logger;
  metrics: WebhookMetrics;
  ready: () => boolean;
  /** True once shutdown began: every answer then closes its connection, so clients reconnect elsewhere. */
  draining?: () => boolean;
  /** Body bytes all admission uploads may buffer at once (default MAX_BUFFERED_BYTES). */
  maxBufferedBytes?: number;
}

export function createWebhookApp(opts: WebhookAppOptions): RequestListener {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/healthz', (_req, res) => void res.type('text/plain').send('ok'));
  app.get(
    '/readyz',
    (_req, res) =>
      void (opts.ready() ? res.type('text/plain').send('ok') : res.status(503).type('text/plain').send('not ready')),
  );
  for (const path of Object.keys(opts.handlers)) {
    app.all(
      path,
      (_req, res) =>
        void res
          .status(405)
          .set('Allow', 'POST')
          .json({ error: `method not allowed; use POST ${path}` }),
    );
  }
  app.use((req, res) => void res.status(404).json({ error: `no route for ${req.method} ${req.path}` }));
  app.use(jsonErrors(opts));

  const budget = new ByteBudget(opts.maxBufferedBytes ?? MAX_BUFFERED_BYTES);
  const admission = new Map(
    Object.entries(opts.handlers).map(([path, handler]) => [
      path,
      admissionListener(path, handler, { logger: opts.logger, metrics: opts.metrics, budget }),
    ]),
  );
  const draining = opts.draining ?? (() => false);
  return (req, res) => {
    // While draining, keep answering but end each keep-alive connection after its answer: an API server
    // holding a connection to this pod would otherwise keep using it past the endpoint's removal.
    if (draining()) res.setHeader('connection', 'close');
    const path = (req.url ?? '').split('?')[0] ?? '';
    const listener = req.method === 'POST' ? admission.get(path) : undefined;
    if (listener) listener(req, res);
    else app(req, res);
  };
}

/** Final error middleware: express 5's default answers HTML; the API server and humans want JSON. */
function jsonErrors(opts: WebhookAppOptions): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, _next) => {
    const message = err instanceof Error ? err.message : String(err);
    opts.logger.error('request failed', { path: req.path, error: message });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(500).json({ error: 'internal error' });
  };
}
