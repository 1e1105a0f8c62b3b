/**
 * The one ops server of every component (webhook, controller, autoscaler): plain HTTP, express, GET only,
 * `/metrics` (the process's prom-client registry) and, where the component has them here, `/healthz` and
 * `/readyz`. The webhook's probes are on its admission port (webhooks/app.ts), so its ops server serves
 * `/metrics` alone: the port the API server must reach carries nothing but admission and probes, and a
 * NetworkPolicy can restrict this one to the monitoring namespace (manifests/base/webhook/network-policy.yaml).
 *
 * Bounded like every server here (docs/reliability.md): headers within 5 s, a whole request within 10 s (checked
 * every second, not Node's default 30 s), idle keep-alive closed, at most 16 connections (scrapes and probes
 * are few and small), no request body read, Node's 16 KiB header limit. Shutdown: `drain()` turns `/readyz`
 * to 503 at once and ends every later answer's connection, `close()` stops accepting and cuts what is left.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Registry } from 'prom-client';

export interface OpsServerOptions {
  registry: Registry;
  host: string;
  /** 0: any free port. */
  port: number;
  /** Serve /healthz (always ok while the process answers) and /readyz (ready() ? 200 : 503). */
  ready?: () => boolean;
  /** Idle keep-alive (default 5 s; the webhook keeps Prometheus' connection for 65 s). */
  keepAliveMs?: number;
}

export interface OpsServer {
  url: string;
  port: number;
  server: Server;
  /** From now on /readyz answers 503 and every answer closes its connection. */
  drain(): void;
  /** Stop accepting, cut open connections; resolves once the listener is closed. */
  close(): Promise<void>;
}

export const OPS_TIMEOUTS = { headersMs: 5_000, requestMs: 10_000, checkIntervalMs: 1_000, maxConnections: 16 };

export function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  let draining = false;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((_req, res, next) => {
    if (draining) res.set('connection', 'close');
    next();
  });
  app.get('/metrics', (_req, res) => {
    opts.registry.metrics().then(
      (text) => void res.status(200).set('content-type', opts.registry.contentType).end(text),
      () => void res.status(500).end(),
    );
  });
  const ready = opts.ready;
  if (ready) {
    app.get('/healthz', (_req, res) => void res.type('text/plain').send('ok'));
    app.get(
      '/readyz',
      (_req, res) =>
        void (!draining && ready()
          ? res.type('text/plain').send('ok')
          : res.status(503).type('text/plain').send('not ready')),
    );
  }
  app.use((req, res) =>
    req.method === 'GET' || req.method === 'HEAD'
      ? void res.status(404).type('text/plain').send('not found')
      : void res.status(405).set('allow', 'GET').end(),
  );

  const server = createServer({ connectionsCheckingInterval: OPS_TIMEOUTS.checkIntervalMs }, app);
  server.headersTimeout = OPS_TIMEOUTS.headersMs;
  server.requestTimeout = OPS_TIMEOUTS.requestMs;
  server.keepAliveTimeout = opts.keepAliveMs ?? 5_000;
  server.maxConnections = OPS_TIMEOUTS.maxConnections;
  return new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(new Error(`metrics listen on ${opts.host}:${opts.port}: ${err.message}`, { cause: err })),
    );
    server.listen(opts.port, opts.host, () => {
      const actual = (server.address() as AddressInfo).port;
      const shown = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      resolve({
        url: `http://${shown}:${actual}`,
        port: actual,
        server,
        drain: () => {
          draining = true;
          server.closeIdleConnections();
        },
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
