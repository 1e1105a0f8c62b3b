/**
 * `kserve-llmd controller`: flags → config → Kubernetes client → leader election → the loop, plus
 * /metrics, /healthz and /readyz over HTTP. SIGTERM/SIGINT: stop the loop, release the Lease, exit 0.
 */
import { hostname } from 'node:os';
import type { CommandSpec, FlagValues } from '../src/cli-args.js';
import { processIo, type CliIo } from '../src/cli-io.js';
import { defaultWebhookConfig, loadWebhookConfigFile } from '../src/config.js';
import { createEventEmitter } from '../src/events.js';
import { createKubeClient, loadKubeConfig } from '../src/kube.js';
import { LeaderElector } from '../src/leader.js';
import { createLogger, type LogLevel, type Logger } from '../src/log.js';
import { createRegistry } from '../src/metrics.js';
import { LEASE_NAMES } from '../core/names.js';
import { startOpsServer } from '../src/ops-server.js';
import {
  defaultControllerConfig,
  GATEWAY_IMPLEMENTATIONS,
  parseGatewayRef,
  parsePeriod,
  validateControllerConfig,
  type ControllerConfig,
} from './config.js';
import { RoutingController } from './loop.js';

export const CONTROLLER_COMMAND: CommandSpec = {
  name: 'controller',
  summary:
    'Run the routing controller: InferencePool, endpoint ' +
    'picker, HTTPRoute and prefill sibling for every annotated ' +
    'InferenceService.',
  usage:
    'kserve-llmd controller [--namespace NS] [--gateway NS/NAME] [--gateway-implementation IMPL] ' +
    '[--epp-image IMAGE] [--resync-period 10m] [--leader-election=false]',
  flags: [
    {
      name: 'kubeconfig',
      type: 'string',
      help: 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then in-cluster)',
    },
    { name: 'namespace', type: 'string', help: 'watch only this namespace (default: all namespaces)' },
    {
      name: 'gateway',
      type: 'string',
      help: 'default Gateway NAMESPACE/NAME for services without kserve-llmd.io/gateway (default: no route)',
    },
    {
      name: 'gateway-implementation',
      type: 'string',
      help:
        'the gateway that dials the endpoint pickers over TLS (docs/install.md): istio adds a DestinationRule, ' +
        'gke health-check and backend policies; kgateway, agentgateway and none add nothing (default none)',
      choices: [...GATEWAY_IMPLEMENTATIONS],
    },
    {
      name: 'cluster-domain',
      type: 'string',
      help: 'cluster DNS domain for fully qualified Service hosts (default cluster.local)',
    },
    { name: 'epp-image', type: 'string', help: 'endpoint picker image, pinned' },
    { name: 'resync-period', type: 'string', help: 're-check every service this often (e.g. 10m)' },
    {
      name: 'leader-election',
      type: 'bool',
      help: 'hold a coordination.k8s.io Lease before acting (--leader-election=false for one replica)',
    },
    { name: 'lease-namespace', type: 'string', help: 'namespace of the leader Lease' },
    { name: 'workers', type: 'int', help: 'services reconciled in parallel', min: 1, max: 64 },
    { name: 'metrics-port', type: 'int', help: 'HTTP port for /metrics, /healthz, /readyz', min: 0, max: 65535 },
    { name: 'cloudevents-sink', type: 'string', help: 'CloudEvents sink URL (default: $K_SINK; none = off)' },
    {
      name: 'config',
      type: 'string',
      help: "the webhook's YAML config (the prefill sibling is mutated with the same settings)",
    },
    { name: 'log-level', type: 'string', help: 'log level', choices: ['debug', 'info', 'warn', 'error'] },
  ],
};

export function resolveControllerConfig(values: FlagValues, env: NodeJS.ProcessEnv = process.env): ControllerConfig {
  const c = defaultControllerConfig();
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  if (str('config')) c.webhook = loadWebhookConfigFile(str('config') as string);
  else c.webhook = defaultWebhookConfig();
  if (str('namespace')) c.namespace = str('namespace');
  if (str('gateway')) c.defaultGateway = parseGatewayRef(str('gateway') as string);
  if (str('gateway-implementation'))
    c.gatewayImplementation = str('gateway-implementation') as ControllerConfig['gatewayImplementation'];
  if (str('cluster-domain')) c.clusterDomain = str('cluster-domain') as string;
  if (str('epp-image')) c.eppImage = str('epp-image') as string;
  if (str('resync-period')) c.resyncPeriodMs = parsePeriod(str('resync-period') as string, 'resync-period');
  if (typeof values['leader-election'] === 'boolean') c.leaderElection = values['leader-election'];
  if (str('lease-namespace')) c.leaseNamespace = str('lease-namespace') as string;
  if (typeof values.workers === 'number') c.workers = values.workers;
  if (typeof values['metrics-port'] === 'number') c.metricsPort = values['metrics-port'];
  const sink = str('cloudevents-sink') ?? env.K_SINK;
  if (sink) c.cloudEventsSink = sink;
  return validateControllerConfig(c);
}

/** Runs until SIGTERM/SIGINT; losing the Lease exits 1 so the pod restarts as a follower (client-go's pattern). */
export async function runController(values: FlagValues, io: CliIo = processIo()): Promise<void> {
  const config = resolveControllerConfig(values, io.env);
  const logger: Logger = createLogger({
    level: (values['log-level'] as LogLevel | undefined) ?? 'info',
    stream: io.stdout,
  }).child({ component: 'controller' });
  const kc = await loadKubeConfig({
    kubeconfig: typeof values.kubeconfig === 'string' ? values.kubeconfig : undefined,
    env: io.env,
  });
  const client = createKubeClient(kc, { timeoutMs: config.requestTimeoutMs, fieldManager: 'kserve-llmd-controller' });
  const registry = createRegistry();
  const events = createEventEmitter({
    sink: config.cloudEventsSink,
    source: 'kserve-llmd/controller',
    registry,
    logger,
  });
  const controller = new RoutingController({ client, config, registry, events, logger });
  let started = false;
  const start = (): void => {
    controller.metrics.leader.set(1);
    controller.start().then(
      () => (started = true),
      (err: unknown) => {
        logger.error('controller failed to start', { error: String(err) });
        io.exit(1);
      },
    );
  };
  const elector = config.leaderElection
    ? new LeaderElector({
        client,
        namespace: config.leaseNamespace,
        name: LEASE_NAMES.controller,
        identity: `${hostname()}-${process.pid}`,
        logger,
        onStartedLeading: start,
        onStoppedLeading: () => {
          controller.metrics.leader.set(0);
          if (!stopping) io.exit(1);
        },
      })
    : undefined;
  const ops = await startOpsServer({
    registry,
    host: config.metricsHost,
    port: config.metricsPort,
    ready: () => started || (elector !== undefined && !elector.isLeader()),
  });
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    ops.drain();
    await controller.stop();
    await elector?.stop();
    await events.close();
    await client.close();
    await ops.close();
    io.exit(0);
  };
  io.signals.once('SIGTERM', () => void stop('SIGTERM'));
  io.signals.once('SIGINT', () => void stop('SIGINT'));
  logger.info('controller starting', { leaderElection: config.leaderElection, server: client.server });
  if (elector) elector.run();
  else start();
}
