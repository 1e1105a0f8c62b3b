/**
 * Wires the webhook process together: registry + metrics, a certificate (mounted Secret directory,
 * or an in-memory self-signed one for local runs), the express app, the HTTPS listener and the metrics port.
 *
 * Shutdown (SIGTERM) drains in three steps, so the API server never meets a refused connection while the pod's
 * endpoint is being removed (issue 14): /readyz answers 503 at once and every answer closes its connection;
 * the listener keeps serving for `drainDelayMs`, while the endpoint removal reaches every node; then it stops
 * accepting and in-flight reviews finish within `shutdownTimeoutMs`. The Deployment's
 * terminationGracePeriodSeconds covers both (test/manifests/install.test.ts checks it).
 */
import type { Registry } from 'prom-client';
import { startHttpsServer, type ServerTimeouts } from './https-server.js';
import type { Logger } from '../src/log.js';
import { createRegistry } from '../src/metrics.js';
import { webhookMetrics } from './metrics.js';
import { generateSelfSigned } from './tls/self-signed.js';
import type { AdmissionHandler } from './admission-types.js';
import { createWebhookApp } from './app.js';
import { startOpsServer } from '../src/ops-server.js';

export interface WebhookServerOptions {
  host: string;
  port: number;
  /** Directory with tls.crt/tls.key (cert-manager Secret mount); omitted → self-signed in memory. */
  certDir?: string;
  handlers: Record<string, AdmissionHandler>;
  logger: Logger;
  registry?: Registry;
  reloadIntervalMs?: number;
  /** Serving on after shutdown begins, readiness already 503 (default 0: tests and local runs close at once). */
  drainDelayMs?: number;
  shutdownTimeoutMs?: number;
  /** How the drain delay is waited for; tests pass a sleep they release themselves. */
  sleep?: (ms: number) => Promise<void>;
  /** Port for /metrics over plain HTTP on `host` (0: any free port); omitted: no metrics listener. */
  metricsPort?: number;
  timeouts?: Partial<ServerTimeouts>;
  maxBufferedBytes?: number;
}

export interface WebhookServer {
  url: string;
  port: number;
  /** http://host:port of /metrics, when a metrics port was asked for. */
  metricsUrl?: string;
  /** Drain (see above) and stop; `{drain: false}` skips the delay (Ctrl-C, tests). Idempotent. */
  close(opts?: CloseOptions): Promise<void>;
  registry: Registry;
  /** Present when a self-signed certificate was generated: clients need it as their CA. */
  selfSigned?: { cert: string };
}

export interface CloseOptions {
  /** Keep serving for drainDelayMs first (default true). */
  drain?: boolean;
}

export const SELF_SIGNED_CN = 'kserve-llmd-webhook';

export async function startWebhookServer(opts: WebhookServerOptions): Promise<WebhookServer> {
  const registry = opts.registry ?? createRegistry();
  const metrics = webhookMetrics(registry);
  const pair = opts.certDir
    ? undefined
    : await generateSelfSigned({ commonName: SELF_SIGNED_CN, altNames: ['localhost', '127.0.0.1'], days: 365 });
  if (pair)
    opts.logger.warn('no certificate directory given; serving a self-signed certificate', {
      commonName: SELF_SIGNED_CN,
    });

  // ready() reads the holder filled in once the listener exists; until then nothing can call it anyway.
  const holder: { ready: () => boolean } = { ready: () => false };
  let closing = false;
  const app = createWebhookApp({
    handlers: opts.handlers,
    logger: opts.logger,
    metrics,
    ready: () => holder.ready(),
    draining: () => closing,
    maxBufferedBytes: opts.maxBufferedBytes,
  });
  const running = await startHttpsServer({
    app,
    host: opts.host,
    port: opts.port,
    certDir: opts.certDir,
    tls: pair,
    logger: opts.logger,
    metrics,
    reloadIntervalMs: opts.reloadIntervalMs,
    shutdownTimeoutMs: opts.shutdownTimeoutMs,
    timeouts: opts.timeouts,
  });
  const metricsServer =
    opts.metricsPort === undefined
      ? undefined
      : await startOpsServer({ registry, host: opts.host, port: opts.metricsPort, keepAliveMs: 65_000 }).catch(
          async (err: unknown) => {
            await running.close();
            throw err;
          },
        );
  holder.ready = () => !closing && (running.reloader?.ready() ?? true);
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let closed: Promise<void> | undefined;
  const close = (how: CloseOptions = {}): Promise<void> =>
    (closed ??= (async () => {
      closing = true; // /readyz 503, and each answer from now on closes its connection
      running.server.closeIdleConnections(); // idle keep-alive connections reconnect through the Service
      const delayMs = how.drain === false ? 0 : (opts.drainDelayMs ?? 0);
      if (delayMs > 0) {
        opts.logger.info('draining: readiness is 503, still serving', { delayMs });
        await sleep(delayMs);
      }
      await running.close();
      await metricsServer?.close();
    })());
  return {
    url: running.url,
    port: running.port,
    ...(metricsServer ? { metricsUrl: metricsServer.url } : {}),
    close,
    registry,
    ...(pair ? { selfSigned: { cert: pair.cert } } : {}),
  };
}

/**
 * SIGTERM/SIGINT → graceful close → exit 0. SIGTERM (the kubelet) drains first; SIGINT (Ctrl-C) skips the drain
 * delay. Exits once; a second signal during the drain forces exit 1 (Ctrl-C twice means "now").
 */
export function installSignalHandlers(close: (how?: CloseOptions) => Promise<void>, logger: Logger): () => void {
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (shuttingDown) {
      logger.warn('second signal; exiting immediately', { signal });
      process.exit(1);
    }
    shuttingDown = true;
    logger.info('shutting down', { signal });
    close({ drain: signal === 'SIGTERM' }).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('shutdown failed', { error: err instanceof Error ? err.message : String(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}
