/** Builds an autoscaler against the fake API server with a virtual clock, plus a CloudEvents receiver. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Autoscaler } from '../../../autoscaler/autoscaler.js';
import { parseAutoscalerConfig, type AutoscalerConfig } from '../../../autoscaler/config.js';
import { createKubeClient, type KubeClient } from '../../../src/kube.js';
import { silentLogger } from '../../../src/log.js';
import { createRegistry } from '../../../src/metrics.js';
import type { FakeApiServer } from '../../support/fake-apiserver/index.js';
import type { Registry } from 'prom-client';

export interface Harness {
  autoscaler: Autoscaler;
  client: KubeClient;
  registry: Registry;
  close(): Promise<void>;
}

/**
 * The scrape timeout is real time (an HTTP deadline): 5 s, so a loopback scrape never times out on a machine
 * with every core busy. A test that wants timeouts passes a short one (and a fake pod that hangs).
 */
export const SCRAPE_TIMEOUT_MS = 5_000;

export function testConfig(patch: Record<string, unknown> = {}): AutoscalerConfig {
  return parseAutoscalerConfig({
    leaderElection: { enabled: false },
    scaleToZeroGraceMs: 2000,
    scrape: { concurrency: 16, timeoutMs: SCRAPE_TIMEOUT_MS, maxBodyBytes: 1 << 20, keepAliveMs: 30_000 },
    metrics: { port: 0 },
    ...patch,
  });
}

export function buildAutoscaler(
  api: FakeApiServer,
  config: AutoscalerConfig,
  opts: { now?: () => number; sink?: string; identity?: string } = {},
): Harness {
  const kc = api.kubeConfig();
  // Generous (real time): a worker's first write of a kind compiles its CRD schema for validation, seconds of
  // CPU on a loaded machine.
  const client = createKubeClient(kc, { timeoutMs: 60_000, fieldManager: 'kserve-llmd-autoscaler' });
  const registry = createRegistry();
  const autoscaler = new Autoscaler({
    client,
    config,
    logger: silentLogger,
    registry,
    identity: opts.identity ?? 'test',
    sink: opts.sink,
    now: opts.now,
  });
  return {
    autoscaler,
    client,
    registry,
    close: async () => {
      await autoscaler.stop();
      await client.close();
    },
  };
}

export interface ReceivedEvent {
  headers: Record<string, string>;
  data: any;
}

export async function eventReceiver(): Promise<{ url: string; events: ReceivedEvent[]; close(): Promise<void> }> {
  const events: ReceivedEvent[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      events.push({
        headers: req.headers as Record<string, string>,
        data: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'),
      });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    events,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Sum of a counter's values whose labels match. */
export async function counterValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const { values } = await m.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .reduce((a, v) => a + v.value, 0);
}
