/**
 * End-to-end harness: the fake API server with the kserve-llmd InferenceService webhook as its admission
 * step and schema validation of every write, a real CloudEvents sink, and the controller over real HTTP.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { defaultControllerConfig, type ControllerConfig } from '../../controller/config.js';
import { RoutingController } from '../../controller/loop.js';
import { createEventEmitter, type EventEmitter } from '../../src/events.js';
import { createKubeClient, type KubeClient } from '../../src/kube.js';
import { createLogger, type Logger } from '../../src/log.js';
import { createRegistry } from '../../src/metrics.js';
import { denialMessage, mutateInferenceService } from '../../core/isvc/mutate.js';
import { ApiStatus, startFakeApiServer, type FakeApiServer, type Obj } from '../support/fake-apiserver/index.js';
import { validateObject } from '../support/schema.js';
import { eventually, EVENTUALLY_TIMEOUT_MS } from '../support/eventually.js';

/**
 * API call deadline (real time) for the controller's and the user's client: far above a loopback call even with
 * every core busy. A worker's first write of a kind compiles its CRD schema for validation (seconds of CPU); with
 * 2 s (controller) and 10 s (user) deadlines that turned into a RoutingFailed event or a failed create under load.
 */
const API_TIMEOUT_MS = 60_000;

export interface Harness {
  api: FakeApiServer;
  client: KubeClient;
  controller: RoutingController;
  config: ControllerConfig;
  cloudEvents: Array<{ type: string; subject: string; data: any }>;
  webhook: { enabled: boolean };
  logs: string[];
  /** Create an InferenceService as a user would (through the webhook), returning the stored object. */
  apply(isvc: Obj): Promise<Obj>;
  settle(ms?: number): Promise<void>;
  close(): Promise<void>;
}

/** The webhook as the API server's admission step; `gate.enabled = false` simulates a cluster without it. */
export function webhookAdmit(config: ControllerConfig, gate = { enabled: true }) {
  return (obj: Obj): Obj => {
    if (obj.kind !== 'InferenceService' || !gate.enabled) return obj;
    const outcome = mutateInferenceService(obj, config.webhook);
    if (outcome.kind === 'denied')
      throw new ApiStatus(
        400,
        'BadRequest',
        `admission webhook "llmd.kserve-llmd.io" denied the request: ${denialMessage(outcome.errors)}`,
      );
    return outcome.kind === 'mutated' ? (outcome.object as unknown as Obj) : obj;
  };
}

async function sink(received: Harness['cloudEvents']): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({
        type: String(req.headers['ce-type']),
        subject: String(req.headers['ce-subject']),
        data: JSON.parse(body || '{}'),
      });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

export function captureLogger(lines: string[]): Logger {
  return createLogger({
    level: 'debug',
    stream: new Writable({
      write: (chunk, _e, cb) => {
        lines.push(String(chunk));
        cb();
      },
    }),
  });
}

export async function startHarness(overrides: Partial<ControllerConfig> = {}, api?: FakeApiServer): Promise<Harness> {
  const config: ControllerConfig = {
    ...defaultControllerConfig(),
    workers: 4,
    resyncPeriodMs: 60_000,
    leaderElection: false,
    ...overrides,
  };
  const webhook = { enabled: true };
  const server =
    api ??
    (await startFakeApiServer({
      admit: webhookAdmit(config, webhook),
      validate: (o) => validateObject(o),
      bookmarkIntervalMs: 200,
    }));
  const cloudEvents: Harness['cloudEvents'] = [];
  const ceSink = await sink(cloudEvents);
  const logs: string[] = [];
  const logger = captureLogger(logs);
  const client = createKubeClient(server.kubeConfig(), { timeoutMs: API_TIMEOUT_MS });
  const events: EventEmitter = createEventEmitter({
    sink: `http://127.0.0.1:${(ceSink.address() as AddressInfo).port}/`,
    source: 'kserve-llmd/controller',
    logger,
  });
  const controller = new RoutingController({
    client,
    config,
    registry: createRegistry(),
    events,
    logger,
  });
  await controller.start();
  const userClient = createKubeClient(server.kubeConfig(), { timeoutMs: API_TIMEOUT_MS });
  return {
    api: server,
    client,
    controller,
    config,
    cloudEvents,
    logs,
    webhook,
    apply: (isvc) =>
      userClient.create(
        {
          group: 'serving.kserve.io',
          version: 'v1beta1',
          kind: 'InferenceService',
          plural: 'inferenceservices',
          namespaced: true,
        },
        isvc.metadata.namespace,
        isvc,
      ) as Promise<Obj>,
    async settle(ms = EVENTUALLY_TIMEOUT_MS) {
      // Idle = queue empty and no handler running, twice in a row 100 ms apart (watch events may still be in flight).
      await eventually(
        'controller idle',
        async () => {
          if (!controller.idle()) return false;
          await new Promise((r) => setTimeout(r, 100));
          return controller.idle();
        },
        { timeoutMs: ms },
      );
    },
    async close() {
      await controller.stop();
      await events.close(200);
      await client.close();
      await userClient.close();
      ceSink.close();
      if (!api) await server.close();
    },
  };
}
