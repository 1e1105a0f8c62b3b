/**
 * `kserve-llmd autoscaler`: flags → config → Autoscaler, plus the /metrics and /healthz endpoint and signal
 * handling. I/O only here.
 */
import { hostname } from 'node:os';
import type { FlagValues } from '../src/cli-args.js';
import { processIo, type CliIo } from '../src/cli-io.js';
import { createKubeClient, loadKubeConfig } from '../src/kube.js';
import { startOpsServer } from '../src/ops-server.js';
import { createLogger, type Logger } from '../src/log.js';
import { createRegistry } from '../src/metrics.js';
import { AUTOSCALER_CLASS } from '../core/names.js';
import { Autoscaler } from './autoscaler.js';
import { loadAutoscalerConfig, parseAutoscalerConfig, type AutoscalerConfig } from './config.js';

export function resolveAutoscalerConfig(values: FlagValues): AutoscalerConfig {
  const base = loadAutoscalerConfig(typeof values.config === 'string' ? values.config : undefined);
  const o: Record<string, unknown> = {};
  if (values.namespace !== undefined) o.namespace = values.namespace;
  if (values.mode !== undefined) o.mode = values.mode;
  if (values['tick-ms'] !== undefined) o.tickMs = values['tick-ms'];
  if (values.sink !== undefined) o.sink = values.sink;
  if (values['log-level'] !== undefined) o.logLevel = values['log-level'];
  if (values['metrics-port'] !== undefined) o.metrics = { port: values['metrics-port'] };
  if (values['leader-election'] !== undefined) o.leaderElection = { enabled: values['leader-election'] };
  return parseAutoscalerConfig(o, base);
}

export async function runAutoscaler(values: FlagValues, io: CliIo = processIo()): Promise<void> {
  const config = resolveAutoscalerConfig(values);
  const logger: Logger = createLogger({ level: config.logLevel, stream: io.stdout });
  const kc = await loadKubeConfig({
    kubeconfig: typeof values.kubeconfig === 'string' ? values.kubeconfig : undefined,
    env: io.env,
  });
  const client = createKubeClient(kc, { timeoutMs: 10_000, fieldManager: 'kserve-llmd-autoscaler' });
  const registry = createRegistry();
  const autoscaler = new Autoscaler({
    client,
    config,
    logger,
    registry,
    identity: `${hostname()}-${process.pid}`,
    sink: config.sink || io.env.K_SINK,
  });
  // Always ready while the process answers: the loop runs only while holding the Lease, followers stand by.
  const ops = await startOpsServer({
    registry,
    host: config.metrics.host,
    port: config.metrics.port,
    ready: () => true,
  });
  await autoscaler.start();
  logger.info('autoscaler started', {
    class: AUTOSCALER_CLASS,
    mode: config.mode,
    namespace: config.namespace || '(all)',
    tickMs: config.tickMs,
  });
  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    logger.info('shutting down', { signal });
    ops.drain();
    void autoscaler
      .stop()
      .then(() => client.close())
      .finally(() => ops.close().then(() => io.exit(0)));
  };
  io.signals.once('SIGTERM', () => shutdown('SIGTERM'));
  io.signals.once('SIGINT', () => shutdown('SIGINT'));
}
