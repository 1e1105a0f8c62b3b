/**
 * `kserve-llmd bench autoscaler-loop`: one autoscaler tick over 1,000 PodAutoscalers × 4 pods, each pod a
 * loopback vLLM /metrics endpoint (in a child process). Measures the loop's scrape (undici, bounded
 * concurrency, keep-alive, parse) and decide phases, deciding all 1,000 alone, and this process's RSS —
 * beside two baselines measured in the same run: a naive sequential scraper (one GET + parse at a time)
 * and a bare concurrent GET loop (same concurrency, body read, no parsing: the HTTP floor).
 * Goals (issue 5): ≤ 1 s per tick for 4,000 pods, ≤ 50 ms to decide all 1,000, ≤ 300 MB RSS.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import type { Actuator } from '../autoscaler/actuator/index.js';
import { Collector } from '../autoscaler/collector/index.js';
import { decide } from '../autoscaler/decider/index.js';
import { Loop } from '../autoscaler/loop/index.js';
import type { ClusterView, PodInfo } from '../autoscaler/loop/view.js';
import { vllmSnapshot } from '../autoscaler/metrics/vllm-signals.js';
import { paTarget, type ScaleTarget } from '../autoscaler/targets.js';
import { parseAutoscalerConfig } from '../autoscaler/config.js';
import { InformerView } from '../autoscaler/loop/informer-view.js';
import { createKubeClient, kubeConfigForServer } from '../src/kube.js';
import { silentLogger } from '../src/log.js';
import type { BenchEntry } from './registry.js';

const ms = (x: number): string => `${x.toFixed(1)} ms`;
const pct = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] as number;

function targets(pas: number, ports: number[], podsPer: number): { list: ScaleTarget[]; pods: Map<string, PodInfo[]> } {
  const list: ScaleTarget[] = [];
  const pods = new Map<string, PodInfo[]>();
  for (let i = 0; i < pas; i++) {
    const pool = `svc-${Math.floor(i / 2)}`;
    const role = i % 2 === 0 ? 'decode' : 'prefill';
    const name = `${pool}${role === 'prefill' ? '-prefill' : ''}-predictor-00001`;
    const t = paTarget(
      {
        apiVersion: 'autoscaling.internal.knative.dev/v1alpha1',
        kind: 'PodAutoscaler',
        metadata: {
          name,
          namespace: `ns-${i % 20}`,
          uid: `uid-${i}`,
          labels: { 'llm-d.ai/role': role, 'kserve-llmd.io/pool': pool },
          annotations: {
            'autoscaling.knative.dev/class': 'autoscaler.kserve-llmd.io',
            'autoscaling.knative.dev/min-scale': '0',
            'autoscaling.knative.dev/max-scale': '8',
            'kserve-llmd.io/slo': 'ttft=1s,itl=50ms',
          },
        },
        spec: {
          protocolType: 'http1',
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `${name}-deployment` },
        },
      },
      { maxReplicasCap: 1000, stableWindowMs: 60_000 },
    ) as ScaleTarget;
    list.push(t);
    pods.set(
      t.key,
      Array.from({ length: podsPer }, (_, j) => ({
        key: `${t.key}/${j}`,
        ip: '127.0.0.1',
        ready: true,
        metricsPort: ports[i * podsPer + j] as number,
      })),
    );
  }
  return { list, pods };
}

async function naiveSequential(urls: string[]): Promise<number> {
  const agent = new Agent({ connections: 1, keepAliveTimeout: 30_000 });
  const t0 = performance.now();
  for (const url of urls) {
    const res = await request(url, { dispatcher: agent });
    vllmSnapshot(await res.body.text());
  }
  const took = performance.now() - t0;
  await agent.close();
  return took;
}

async function bareConcurrent(urls: string[], concurrency: number): Promise<number> {
  const agent = new Agent({ connections: 1, keepAliveTimeout: 30_000 });
  const run = async (): Promise<number> => {
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < urls.length) {
          const res = await request(urls[next++] as string, { dispatcher: agent });
          await res.body.text();
        }
      }),
    );
    return performance.now() - t0;
  };
  await run(); // connect
  const took = await run();
  await agent.close();
  return took;
}

interface ChildStats {
  rss: number;
  cpu: NodeJS.CpuUsage;
}
function childStats(child: ChildProcess): Promise<ChildStats> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as ChildStats));
    child.send('stats');
  });
}
const cpuMs = (c: NodeJS.CpuUsage): number => (c.user + c.system) / 1000;
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/**
 * `--api`: the real InformerView (PodAutoscaler, Deployment, ServerlessService and Pod informers: list +
 * watch on src/kube.ts's client, as in a pod) against the seeded fake API server, instead of a synthetic view.
 */
async function informerView(
  apiUrl: string,
  o: { pas: number; podsPerPa: number },
): Promise<{ view: ClusterView; close: () => Promise<void> }> {
  const client = createKubeClient(kubeConfigForServer(apiUrl), { timeoutMs: 60_000 });
  const view = new InformerView(
    client,
    parseAutoscalerConfig({ leaderElection: { enabled: false }, metrics: { port: 0 } }),
    silentLogger,
  );
  await view.start();
  const ts = view.targets();
  const ready = ts.reduce((a, t) => a + view.pods(t).filter((p) => p.ready).length, 0);
  if (ts.length !== o.pas || ready !== o.pas * o.podsPerPa)
    throw new Error(`informer view: ${ts.length} targets, ${ready} ready pods (want ${o.pas}, ${o.pas * o.podsPerPa})`);
  return {
    view,
    close: async () => {
      await view.stop();
      await client.close();
    },
  };
}

/** The servers child's arguments: pod count, page fixture, and `PASxPODS` when it also serves the fake API server. */
function serverArgs(n: number, fixture: string, o: { pas: number; podsPerPa: number; api?: boolean }): string[] {
  return o.api ? [String(n), fixture, `${o.pas}x${o.podsPerPa}`] : [String(n), fixture];
}

function viewLine(api: boolean, pods: number, rssSynced: number): string {
  return api
    ? `cluster view: the real informers (PodAutoscalers, ` +
        `Deployments, ServerlessServices, ${pods} Pods) listing and ` +
        `watching a loopback fake API server in the child; ` +
        `RSS ${rssSynced.toFixed(0)} MB once synced`
    : 'cluster view: synthetic (no Kubernetes client loaded; ' +
        '`--api` runs the real informers against a fake API server)';
}

export async function runAutoscalerLoopBench(o: {
  pas: number;
  podsPerPa: number;
  ticks: number;
  concurrency: number;
  api?: boolean;
  out: (l: string) => void;
}): Promise<number> {
  const n = o.pas * o.podsPerPa;
  const loadBefore = load();
  const rssIdle = process.memoryUsage().rss / 2 ** 20;
  // Compiled (dist/, as the image runs it: Dockerfile ENTRYPOINT node dist/src/cli/entry.js) or from source
  // through tsx, whose loader thread and transpiled-source caches add ~90 MB of RSS that production never has.
  const compiled = import.meta.url.endsWith('.js');
  const fixture = fileURLToPath(
    new URL(compiled ? '../../test/fixtures/vllm-metrics.txt' : '../test/fixtures/vllm-metrics.txt', import.meta.url),
  );
  const child = fork(
    fileURLToPath(new URL(`./autoscaler-loop-servers.${compiled ? 'js' : 'ts'}`, import.meta.url)),
    serverArgs(n, fixture, o),
    {
      execArgv: compiled ? [] : ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, BENCH_SERVERS_MAX_MS: String(15 * 60_000) },
    },
  );
  try {
    const { ports, bytes, apiUrl } = await new Promise<{ ports: number[]; bytes: number; apiUrl?: string }>(
      (resolve, reject) => {
        child.once('message', (m) => resolve(m as { ports: number[]; bytes: number; apiUrl?: string }));
        child.once('exit', (code) => reject(new Error(`metrics servers exited with ${code}`)));
      },
    );
    const { list, pods } = targets(o.pas, ports, o.podsPerPa);
    const synthetic: ClusterView = {
      targets: () => list,
      pods: (t) => pods.get(t.key) ?? [],
      specReplicas: (t) => pods.get(t.key)?.length ?? 0,
      sks: () => undefined,
    };
    const { view, close: closeView } = apiUrl
      ? await informerView(apiUrl, o)
      : { view: synthetic, close: async () => undefined };
    const rssSynced = process.memoryUsage().rss / 2 ** 20;
    const collector = new Collector({
      concurrency: o.concurrency,
      timeoutMs: 2000,
      maxBodyBytes: 4 << 20,
      keepAliveMs: 60_000,
    });
    // No API server here: the benchmark is scrape + decide; writes are measured by the e2e tests' call log, not timed.
    const actuator = {
      apply: async () => ({ waitingForActivator: false, statusWritten: false }),
      forget: () => undefined,
    } as unknown as Actuator;
    let clock = Date.now();
    const loop = new Loop({
      view,
      collector,
      actuator,
      logger: silentLogger,
      tickMs: 1000,
      stableWindowMs: 60_000,
      panicWindowMs: 6_000,
      defaultPromptTokens: 1024,
      demand: { collect: async () => new Map() },
      now: () => clock,
    });
    const scrape: number[] = [];
    const dec: number[] = [];
    let errors = 0;
    let cpu0 = process.cpuUsage();
    let childCpu0 = (await childStats(child)).cpu;
    let wall0 = performance.now();
    for (let i = 0; i < o.ticks + 1; i++) {
      clock += 1000;
      const r = await loop.tick();
      if (i === 0) {
        // The first tick opens 4,000 connections: not measured.
        [cpu0, childCpu0, wall0] = [process.cpuUsage(), (await childStats(child)).cpu, performance.now()];
        continue;
      }
      scrape.push(r.scrapeMs);
      dec.push(r.decideMs);
      errors += r.scrapeErrors;
    }
    const wall = performance.now() - wall0;
    const ownCpu = cpuMs(process.cpuUsage(cpu0));
    const srv = await childStats(child);
    const srvCpu = cpuMs(srv.cpu) - cpuMs(childCpu0);
    const mem = process.memoryUsage();
    const rss = mem.rss / 2 ** 20;
    const peakRss = process.resourceUsage().maxRSS / 1024; // KiB → MB, before the baselines add their own sockets
    // Deciding all 1,000 alone (windows already built), repeated for a stable figure.
    const windows = list.map((t) => ({
      t,
      w: {
        readyPods: 4,
        startingPods: 0,
        stable: {
          samples: 60,
          waiting: 3,
          running: 40,
          kvUsage: 0.6,
          kvUsageMax: 0.8,
          promptBacklogTokens: 3000,
          arrivalRate: 4,
          promptTokensRate: 8000,
          generationTokensRate: 900,
          itlP90Ms: 30,
          ttftP90Ms: 400,
        },
        panic: {
          samples: 6,
          waiting: 3,
          running: 40,
          kvUsage: 0.6,
          kvUsageMax: 0.8,
          promptBacklogTokens: 3000,
          arrivalRate: 4,
          promptTokensRate: 8000,
          generationTokensRate: 900,
        },
        demandAtZero: { queuedRequests: 0, queuedPromptTokens: 0 },
        dataAgeMs: 500,
        missingPods: 0,
      },
    }));
    const pure: number[] = [];
    for (let k = 0; k < 20; k++) {
      const t0 = performance.now();
      for (const { t, w } of windows) decide(t.spec, w, clock + k * 1000);
      pure.push(performance.now() - t0);
    }
    const urls = [...pods.values()].flat().map((p) => `http://127.0.0.1:${p.metricsPort}/metrics`);
    const bare = await bareConcurrent(urls, o.concurrency);
    const naive = await naiveSequential(urls.slice(0, Math.min(urls.length, 1000)));
    const naiveAll = (naive * urls.length) / Math.min(urls.length, 1000);
    await collector.close();
    await closeView();

    const tick = scrape.map((s, i) => s + (dec[i] as number));
    o.out(
      `autoscaler-loop: ${o.pas} PAs × ${o.podsPerPa} pods = ${n} ` +
        `loopback vLLM endpoints (${(bytes / 1024).toFixed(1)} KiB ` +
        `page each), concurrency ${o.concurrency}, ${o.ticks} ticks, ` +
        `node ${process.version}`,
    );
    o.out(viewLine(o.api === true, n, rssSynced));
    o.out(
      `load average (1/5/15 min): ${loadBefore} before, ${load()} ` +
        (`after; ` +
          (compiled
            ? 'compiled dist/ (as the image runs it)'
            : 'from source through tsx (its loader adds ~90 MB ' +
              'RSS; `npm run bench:autoscaler-loop` builds and ' +
              'runs dist/)')),
    );
    o.out('');
    o.out('| measure | p50 | max | goal |');
    o.out('|---|---|---|---|');
    o.out(`| tick: scrape + parse ${n} pods | ${ms(pct(scrape, 0.5))} | ${ms(Math.max(...scrape))} | |`);
    o.out(`| tick: windows + decide ${o.pas} PAs | ${ms(pct(dec, 0.5))} | ${ms(Math.max(...dec))} | |`);
    o.out(`| tick total (scrape + decide) | ${ms(pct(tick, 0.5))} | ${ms(Math.max(...tick))} | ≤ 1000 ms |`);
    o.out(`| decide all ${o.pas} (pure decider) | ${ms(pct(pure, 0.5))} | ${ms(Math.max(...pure))} | ≤ 50 ms |`);
    o.out(
      `| autoscaler RSS after the ticks | ${rss.toFixed(0)} MB ` +
        `(heap ${(mem.heapUsed / 2 ** 20).toFixed(0)}/${(mem.heapTotal / 2 ** 20).toFixed(0)} ` +
        `MB, external ${(mem.external / 2 ** 20).toFixed(0)} ` +
        `MB; ${rssIdle.toFixed(0)} MB before the first tick) | | ≤ 300 MB |`,
    );
    o.out(`| autoscaler peak RSS during the ticks | ${peakRss.toFixed(0)} MB | | |`);
    o.out(
      `| autoscaler CPU per tick | ${ms(ownCpu / o.ticks)} (${((100 * ownCpu) / wall).toFixed(0)} % of one core) | | |`,
    );
    o.out(
      `| fake vLLM servers (child process, not the autoscaler) | ` +
        `RSS ${(srv.rss / 2 ** 20).toFixed(0)} MB, ` +
        `CPU ${ms(srvCpu / o.ticks)} per tick | | |`,
    );
    o.out(`| scrape errors | ${errors} | | 0 |`);
    o.out(`| baseline: bare concurrent GET, no parse (HTTP floor) | ${ms(bare)} | | |`);
    o.out(`| baseline: naive sequential GET + parse (extrapolated from 1,000) | ${ms(naiveAll)} | | |`);
    const ok = pct(tick, 0.5) <= 1000 && pct(pure, 0.5) <= 50 && rss <= 300 && errors === 0;
    o.out('');
    o.out(ok ? 'goals met' : 'GOALS NOT MET');
    return ok ? 0 : 1;
  } finally {
    child.kill();
  }
}

export const AUTOSCALER_LOOP_BENCH: BenchEntry = {
  spec: {
    name: 'bench autoscaler-loop',
    summary:
      'One autoscaler tick (scrape + decide) over 1,000 PAs × 4 ' +
      'loopback vLLM endpoints, RSS, beside a naive sequential ' +
      'scraper and a bare GET loop.',
    usage: 'kserve-llmd bench autoscaler-loop [--pas 1000] [--pods-per-pa 4] [--ticks 65] [--concurrency 256] [--api]',
    flags: [
      { name: 'pas', type: 'int', help: 'PodAutoscalers', default: 1000, min: 1, max: 5000 },
      { name: 'pods-per-pa', type: 'int', help: 'ready pods per PA', default: 4, min: 1, max: 8 },
      {
        name: 'ticks',
        type: 'int',
        help: 'measured ticks (≥ 60 fills the 60 s stable window, so RSS and decide time are at steady state)',
        default: 65,
        min: 1,
        max: 1000,
      },
      { name: 'concurrency', type: 'int', help: 'scrapes in flight', default: 256, min: 1, max: 4096 },
      {
        name: 'api',
        type: 'bool',
        help: "run the real informers against a seeded loopback fake API server (the in-cluster process's memory)",
        default: false,
      },
    ],
  },
  run: (v) =>
    runAutoscalerLoopBench({
      pas: Number(v.pas),
      podsPerPa: Number(v['pods-per-pa']),
      ticks: Number(v.ticks),
      concurrency: Number(v.concurrency),
      api: v.api === true,
      out: (l) => process.stdout.write(`${l}\n`),
    }),
};
