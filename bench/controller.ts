/**
 * `kserve-llmd bench controller`: N InferenceServices on the loopback fake API server (the webhook as its
 * admission step), the real controller over HTTP. Measures time to converge (every service's status Ready
 * and the queue idle), API calls per service, and CPU during idle resyncs. Baseline, same run: the same
 * objects created directly by a plain client at the same concurrency (no informers, no diffing) — the floor
 * set by the API server itself — and the process's idle CPU with no controller.
 */
import { defaultControllerConfig, type ControllerConfig } from '../controller/config.js';
import { RoutingController } from '../controller/loop.js';
import { desiredObjects } from '../controller/objects/index.js';
import { createEventEmitter } from '../src/events.js';
import { createKubeClient, RESOURCES, type KubeObject, type ResourceType } from '../src/kube.js';
import { createLogger } from '../src/log.js';
import { createRegistry } from '../src/metrics.js';
import type { InferenceService } from '../src/types/kube.js';
import { mutateInferenceService } from '../core/isvc/mutate.js';
import { ApiStatus, startFakeApiServer, type FakeApiServer, type Obj } from '../test/support/fake-apiserver/index.js';
import type { BenchEntry } from './registry.js';

const NS = 'bench';

/** The webhook as the fake API server's admission step (as test/controller/harness.ts; no test-only deps here). */
function webhookAdmit(config: ControllerConfig) {
  return (obj: Obj): Obj => {
    if (obj.kind !== 'InferenceService') return obj;
    const outcome = mutateInferenceService(obj, config.webhook);
    if (outcome.kind === 'denied') throw new ApiStatus(400, 'BadRequest', outcome.errors.join('; '));
    return outcome.kind === 'mutated' ? (outcome.object as unknown as Obj) : obj;
  };
}

/** A realistic mix: 70% plain prefix-aware, 20% P/D behind a gateway scaling to zero, 10% precise + KV offload. */
export function benchService(i: number): InferenceService {
  const kind = i % 10;
  const annotations: Record<string, string> =
    kind < 7
      ? { 'kserve-llmd.io/routing': 'prefix-aware' }
      : kind < 9
        ? {
            'kserve-llmd.io/disaggregation': 'prefill-decode',
            'kserve-llmd.io/decode-replicas': '0-4',
            'kserve-llmd.io/gateway': 'gw/main',
          }
        : { 'kserve-llmd.io/routing': 'precise-prefix', 'kserve-llmd.io/kv-offload': 'cpu=100Gi' };
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: `svc-${i}`, namespace: NS, annotations },
    spec: {
      predictor: {
        model: {
          modelFormat: { name: 'vLLM' },
          storageUri: 'hf://Qwen/Qwen3-8B',
          resources: { limits: { 'nvidia.com/gpu': '1', memory: '400Gi' } },
        },
      },
    },
  };
}

const ready = (api: FakeApiServer): number =>
  api
    .objects('serving.kserve.io/v1beta1', 'InferenceService', NS)
    .filter((o) => (o.metadata.annotations?.['kserve-llmd.io/status'] ?? '').includes('"Ready"')).length;

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** Baseline: create the same desired objects directly, `concurrency` services at a time. */
async function baseline(
  n: number,
  concurrency: number,
  config: ControllerConfig,
): Promise<{ ms: number; calls: number }> {
  const api = await startFakeApiServer({ admit: webhookAdmit(config) });
  const client = createKubeClient(api.kubeConfig(), { connections: concurrency * 2 });
  const resources = new Map<string, ResourceType>(Object.values(RESOURCES).map((r) => [r.kind, r]));
  const perService = Array.from({ length: n }, (_, i) => {
    const out = mutateInferenceService(benchService(i), config.webhook);
    const isvc = out.kind === 'mutated' ? out.object : benchService(i);
    return [
      isvc as unknown as KubeObject,
      ...desiredObjects({ ...isvc, metadata: { ...isvc.metadata, uid: `uid-${i}` } }, config),
    ];
  });
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) {
        for (const obj of perService[i]!) await client.create(resources.get(obj.kind ?? '') as ResourceType, NS, obj);
      }
    }),
  );
  const ms = performance.now() - t0;
  const calls = api.calls.length;
  await client.close();
  await api.close();
  return { ms, calls };
}

export async function runControllerBench(opts: {
  services: number;
  idleSeconds: number;
  resyncSeconds: number;
  workers: number;
  out: (l: string) => void;
}): Promise<number> {
  const { services: n, out } = opts;
  const config: ControllerConfig = {
    ...defaultControllerConfig(),
    workers: opts.workers,
    resyncPeriodMs: Math.max(10_000, opts.resyncSeconds * 1000),
  };
  const base = await baseline(n, opts.workers, config);

  const api = await startFakeApiServer({ admit: webhookAdmit(config), bookmarkIntervalMs: 5_000 });
  const seedClient = createKubeClient(api.kubeConfig());
  for (let i = 0; i < n; i++) await seedClient.create(RESOURCES.inferenceServices, NS, benchService(i));
  await seedClient.close();
  const seeded = api.calls.length;

  // Idle process CPU before the controller exists: the floor the idle figure is compared with.
  const idleMs = opts.idleSeconds * 1000;
  const cpu0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, Math.min(idleMs, 3_000)));
  const floorCpu = (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1000 / Math.min(idleMs, 3_000);

  const client = createKubeClient(api.kubeConfig(), { timeoutMs: 30_000, connections: opts.workers * 2 + 16 });
  const controller = new RoutingController({
    client,
    config,
    registry: createRegistry(),
    events: createEventEmitter({ source: 'bench' }),
    logger: createLogger({ level: 'error' }),
  });
  const t0 = performance.now();
  await controller.start();
  const converged = await waitFor(() => ready(api) === n && controller.idle(), 120_000);
  const convergeMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 500));
  const ctlCalls = api.calls.slice(seeded);
  const writes = ctlCalls.filter((c) => !['get', 'list', 'watch'].includes(c.verb));

  // Idle: resync every `resyncSeconds` (the minimum the config allows is 10 s; the informer resync is driven
  // directly here so a short window sees several), with nothing to change.
  const before = api.calls.length;
  const cpu1 = process.cpuUsage();
  const t1 = performance.now();
  let resyncs = 0;
  while (performance.now() - t1 < idleMs) {
    for (const o of api.objects('serving.kserve.io/v1beta1', 'InferenceService', NS))
      controller.queue.add(`${NS}/${o.metadata.name}`);
    resyncs++;
    await waitFor(() => controller.idle(), 60_000);
    await new Promise((r) =>
      setTimeout(r, Math.max(0, opts.resyncSeconds * 1000 - ((performance.now() - t1) % (opts.resyncSeconds * 1000)))),
    );
  }
  const idleWall = performance.now() - t1;
  const used = process.cpuUsage(cpu1);
  const idleCpuMs = (used.user + used.system) / 1000;
  const idleWrites = api.calls.slice(before).length;
  await controller.stop();
  await client.close();
  await api.close();

  const perResyncMs = idleCpuMs / resyncs;
  const defaultPeriod = defaultControllerConfig().resyncPeriodMs;
  const rows: Array<[string, string, string]> = [
    ['services', String(n), String(n)],
    [
      'time to converge',
      `${(convergeMs / 1000).toFixed(2)} s${converged ? '' : ' (NOT converged)'}`,
      `${(base.ms / 1000).toFixed(2)} s (direct creates)`,
    ],
    ['API calls per service', (ctlCalls.length / n).toFixed(2), (base.calls / n).toFixed(2)],
    ['  of which writes', (writes.length / n).toFixed(2), (base.calls / n).toFixed(2)],
    [`idle: CPU per resync of ${n}`, `${perResyncMs.toFixed(0)} ms`, '-'],
    [
      `idle: share of one core, resync ${opts.resyncSeconds}s`,
      `${((idleCpuMs / idleWall) * 100).toFixed(2)} %`,
      `${(floorCpu * 100).toFixed(2)} % (no controller)`,
    ],
    ['idle: share of one core, default 10m', `${((perResyncMs / defaultPeriod) * 100).toFixed(3)} %`, '-'],
    ['idle: API calls during resyncs', String(idleWrites), '0'],
  ];
  out(`kserve-llmd controller benchmark (${n} InferenceServices, ${opts.workers} workers, Node ${process.version})`);
  out(`${'metric'.padEnd(40)} ${'controller'.padEnd(24)} baseline`);
  for (const [m, a, b] of rows) out(`${m.padEnd(40)} ${a.padEnd(24)} ${b}`);
  out(
    `writes by ` +
      (`verb: ` +
        JSON.stringify(
          Object.fromEntries(
            [...new Set(writes.map((c) => c.verb))].map((v) => [v, writes.filter((c) => c.verb === v).length]),
          ),
        )),
  );
  out(
    `goal: converge < 30 s ` +
      `→ ${convergeMs < 30_000 && converged ? 'met' : 'NOT met'}; ` +
      `idle < 5% of a core at the default period ` +
      `→ ${perResyncMs / defaultPeriod < 0.05 ? 'met' : 'NOT met'}`,
  );
  return converged ? 0 : 1;
}

export const CONTROLLER_BENCH: BenchEntry = {
  spec: {
    name: 'bench controller',
    summary:
      'N InferenceServices on the loopback fake API server: time ' +
      'to converge, API calls per service, idle resync CPU, beside ' +
      'direct creates.',
    usage: 'kserve-llmd bench controller [--services 1000] [--idle-seconds 10] [--resync-seconds 2] [--workers 8]',
    flags: [
      { name: 'services', type: 'int', help: 'InferenceServices to create', default: 1000, min: 1, max: 20_000 },
      {
        name: 'idle-seconds',
        type: 'int',
        help: 'idle window measured after convergence',
        default: 10,
        min: 1,
        max: 600,
      },
      {
        name: 'resync-seconds',
        type: 'int',
        help: 'resync interval during the idle window',
        default: 2,
        min: 1,
        max: 600,
      },
      {
        name: 'workers',
        type: 'int',
        help: 'controller workers (and baseline concurrency)',
        default: 8,
        min: 1,
        max: 64,
      },
    ],
  },
  run: (v) =>
    runControllerBench({
      services: Number(v.services),
      idleSeconds: Number(v['idle-seconds']),
      resyncSeconds: Number(v['resync-seconds']),
      workers: Number(v.workers),
      out: (l) => process.stdout.write(`${l}\n`),
    }),
};
