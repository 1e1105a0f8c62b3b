/**
 * The HTTP edge of the admission webhooks (controller-runtime pkg/webhook/admission/http.go): validate the
 * envelope, call the pure decision core, always answer an AdmissionReview that echoes the request UID, and
 * turn every malformed input into a JSON 4xx instead of a crash. Admission POSTs take the lean path in
 * admission-http.ts; everything else (health, readiness, metrics, 404, 405) is served by express.
 */
import type { RequestListener } from 'node:http';
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '../src/log.js';
import type { WebhookMetrics } from '../src/metrics.js';
import type { AdmissionHandler } from '../src/types/admission.js';
import { admissionListener } from './admission-http.js';

export { admissionRequest, MAX_BODY_BYTES } from './admission-http.js';

export interface WebhookAppOptions {
  /** Path (e.g. '/mutate-inferenceservice') → decision core. */
  handlers: Record<string, AdmissionHandler>;
  logger: Logger;
  metrics: WebhookMetrics;
  ready: () => boolean;
  registry: Registry;
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
  app.get('/metrics', async (_req, res) => {
    const body = await opts.registry.metrics();
    res.type(opts.registry.contentType).send(body);
  });
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

  const admission = new Map(
    Object.entries(opts.handlers).map(([path, handler]) => [path, admissionListener(path, handler, opts)]),
  );
  return (req, res) => {
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
