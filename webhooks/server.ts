/**
 * Wires the webhook process together: registry + metrics, a certificate (mounted Secret directory,
 * or an in-memory self-signed one for local runs), the express app and the HTTPS listener.
 */
import type { Registry } from 'prom-client';
import { startHttpsServer } from '../src/https-server.js';
import type { Logger } from '../src/log.js';
import { createRegistry, webhookMetrics } from '../src/metrics.js';
import { generateSelfSigned } from '../src/tls/self-signed.js';
import type { AdmissionHandler } from '../src/types/admission.js';
import { createWebhookApp } from './app.js';

export interface WebhookServerOptions {
  host: string;
  port: number;
  /** Directory with tls.crt/tls.key (cert-manager Secret mount); omitted → self-signed in memory. */
  certDir?: string;
  handlers: Record<string, AdmissionHandler>;
  logger: Logger;
  registry?: Registry;
  reloadIntervalMs?: number;
  shutdownTimeoutMs?: number;
}

export interface WebhookServer {
  url: string;
  port: number;
  close(): Promise<void>;
  registry: Registry;
  /** Present when a self-signed certificate was generated: clients need it as their CA. */
  selfSigned?: { cert: string };
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
  const app = createWebhookApp({
    handlers: opts.handlers,
    logger: opts.logger,
    metrics,
    registry,
    ready: () => holder.ready(),
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
  });
  let closing = false;
  holder.ready = () => !closing && (running.reloader?.ready() ?? true);
  const close = (): Promise<void> => {
    closing = true; // readyz turns 503 so the Service endpoint is dropped while in-flight work drains
    return running.close();
  };
  return {
    url: running.url,
    port: running.port,
    close,
    registry,
    ...(pair ? { selfSigned: { cert: pair.cert } } : {}),
  };
}

/**
 * SIGTERM/SIGINT → graceful close → exit 0. Exits once; a second signal during the drain forces
 * exit 1 (an operator pressing Ctrl-C twice means "now").
 */
export function installSignalHandlers(close: () => Promise<void>, logger: Logger): () => void {
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (shuttingDown) {
      logger.warn('second signal; exiting immediately', { signal });
      process.exit(1);
    }
    shuttingDown = true;
    logger.info('shutting down', { signal });
    close().then(
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
