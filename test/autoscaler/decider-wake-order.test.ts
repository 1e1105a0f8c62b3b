/**
 * P/D wake order (issue 12 item 4): at llm-d-router v0.9.0 the EPP releases the requests it held at zero as soon
 * as any pod of the pool is Ready, and a request with no Ready decode pod fails in the decode profile. So prefill
 * wakes from zero only once decode has a Ready pod: in the decider, in the cluster loop's wiring (decideAll) and
 * in the local stack (LocalLoop); the benchmark's adapter is checked in test/sim/wake-order.test.ts.
 */
import { Registry } from 'prom-client';
import {
  decide,
  decidePool,
  initialState,
  type DeciderState,
  type RoleWindows,
} from '../../autoscaler/decider/index.js';
import { Loop, type LoopOptions } from '../../autoscaler/loop/index.js';
import type { ScaleTarget } from '../../autoscaler/targets.js';
import { LocalLoop } from '../../local/loop.js';
import { localMetrics } from '../../local/metrics.js';
import { RequestQueue } from '../../local/queue.js';
import { newReplica, type Replica } from '../../local/replica.js';
import type { LocalService } from '../../local/service.js';
import type { Supervisor } from '../../local/supervisor.js';
import { silentLogger } from '../../src/log.js';
import { specs } from './support/decider.js';
import { FakeVllm } from './support/fake-vllm.js';
import { atZero, win } from './support/windows.js';

const { decode, prefill } = specs(8);
// Two requests of 20k-token prompts held at zero: long enough for prefill (≥ 2048 tokens on average).
const held = (): RoleWindows => atZero(2, 40_000);

describe('decider: prefill wakes from zero only beside a Ready decode pod', () => {
  it.each([
    // [name, decode as prefill's peer, expected prefill decision]
    [
      'decode waking, no pod Ready yet: prefill waits',
      { desired: 1, ready: 0 },
      { desired: 0, reason: 'decode-first' },
    ],
    ['decode has a Ready pod: prefill wakes', { desired: 1, ready: 1 }, { desired: 1, reason: 'wake' }],
    ['decode staying at zero: prefill stays too', { desired: 0, ready: 0 }, { desired: 0, reason: 'decode-at-zero' }],
    ['no decode role seen (no peer): nothing to order', undefined, { desired: 1, reason: 'wake' }],
  ] as const)('%s', (_n, peer, expected) => {
    const w: RoleWindows = peer ? { ...held(), peer } : held();
    expect(decide(prefill(), w, 0)).toMatchObject(expected);
  });

  it('prefill waits for decode whether the demand is queued or pool-wide long prompts', () => {
    // Decode serves long prompts itself (pool-wide 40k tok/s at 4 req/s); its only pod is being replaced.
    const pool = win(0, { samples: 30, promptTokensRate: 40_000, arrivalRate: 4 });
    expect(decide(prefill(), { ...pool, peer: { desired: 1, ready: 0 } }, 0)).toMatchObject({
      desired: 0,
      reason: 'decode-first',
    });
    expect(decide(prefill(), { ...pool, peer: { desired: 1, ready: 1 } }, 0)).toMatchObject({ desired: 1 });
  });

  it('decidePool over a wake: decode first, prefill the tick after decode has a Ready pod', () => {
    const roles = (d: RoleWindows, p: RoleWindows) => ({
      decode: { spec: decode(), windows: d },
      prefill: { spec: prefill(), windows: p },
    });
    const starting: RoleWindows = { ...held(), startingPods: 1 };
    const decodeReady = win(
      1,
      { samples: 1, running: 2 },
      { demandAtZero: { queuedRequests: 0, queuedPromptTokens: 0 } },
    );
    const steps: Array<[number, RoleWindows, RoleWindows]> = [
      [0, held(), held()], // requests held at zero: decode wakes
      [1000, starting, held()], // decode's pod is starting
      [30_000, starting, held()],
      [33_000, decodeReady, held()], // decode Ready: the EPP may release the held requests now
    ];
    let states: { decode?: DeciderState; prefill?: DeciderState } = {};
    const out = steps.map(([t, d, p]) => {
      const r = decidePool(roles(d, p), t, states);
      states = { decode: r.decode.state, prefill: r.prefill?.state };
      return [r.decode.desired, r.prefill?.desired, r.prefill?.reason];
    });
    expect(out).toEqual([
      [1, 0, 'decode-first'],
      [1, 0, 'decode-first'],
      [1, 0, 'decode-first'],
      [1, 1, 'wake'],
    ]);
  });

  it('a predictive pre-warm of prefill also waits for a Ready decode pod', () => {
    // Prefill's long-prompt episodes started every 10 minutes; the next is due at 1,800 s.
    const s: DeciderState = {
      ...initialState(0, 0),
      desired: 0,
      lastDemandMs: 1_250_000,
      episodes: {
        list: [
          [0, 50_000],
          [600_000, 650_000],
          [1_200_000, 1_250_000],
        ],
        wake: null,
        usedMs: null,
      },
    };
    const quiet = atZero();
    const at = 1_770_000; // inside the pre-warm lead (a cold start × 1.25 ≈ 41 s before 1,800 s)
    expect(decide(prefill(), { ...quiet, peer: { desired: 1, ready: 0 } }, at, s)).toMatchObject({ desired: 0 });
    expect(decide(prefill(), { ...quiet, peer: { desired: 1, ready: 1 } }, at, s)).toMatchObject({
      desired: 1,
      reason: 'predictive-wake',
    });
  });
});

describe('cluster loop: decideAll passes decode’s Ready pods to prefill', () => {
  // decideAll reads nothing but its arguments and the decider states: every other dependency fails loudly.
  const unused = new Proxy(
    {},
    {
      get: (_t, p) => {
        throw new Error(`decideAll must not use ${String(p)}`);
      },
    },
  );
  const loop = new Loop({
    view: unused,
    collector: unused,
    demand: unused,
    actuator: unused,
    logger: unused,
    tickMs: 1000,
    stableWindowMs: 60_000,
    panicWindowMs: 6000,
    defaultPromptTokens: 2048,
  } as unknown as LoopOptions);
  const target = (role: 'decode' | 'prefill'): ScaleTarget => ({
    key: `ns/pd-${role}`,
    namespace: 'ns',
    name: `pd-${role}`,
    role,
    poolKey: 'ns/pd',
    pool: 'pd',
    deployment: `pd-${role}`,
    podSelector: {},
    spec: role === 'decode' ? decode() : prefill(),
    problems: [],
  });

  it('prefill stays at zero while decode wakes, and wakes once decode is Ready', () => {
    const targets = [target('prefill'), target('decode')];
    const tick = (t: number, d: RoleWindows) =>
      loop.decideAll(
        targets,
        new Map([
          ['ns/pd-decode', d],
          ['ns/pd-prefill', held()],
        ]),
        t,
      );
    expect(tick(0, held()).get('ns/pd-prefill')).toMatchObject({ desired: 0, reason: 'decode-first' });
    expect(tick(1000, { ...held(), startingPods: 1 }).get('ns/pd-prefill')?.desired).toBe(0);
    expect(tick(33_000, win(1, { samples: 1, running: 2 })).get('ns/pd-prefill')).toMatchObject({
      desired: 1,
      reason: 'wake',
    });
  });
});

describe('local stack: LocalLoop wakes prefill after decode', () => {
  const vllms: FakeVllm[] = [];
  afterAll(async () => Promise.all(vllms.map((v) => v.close())));

  it('decode is asked for on the first tick; prefill only once a decode replica is ready', async () => {
    const decodeVllm = await new FakeVllm(Date.now).start();
    vllms.push(decodeVllm);
    decodeVllm.set({ running: 2, kv: 0.1 });
    // A supervisor reduced to what the loop reads: ready replicas, active counts, and the scale calls it makes.
    const active = { decode: 0, prefill: 0 };
    const ready: Record<'decode' | 'prefill', Replica[]> = { decode: [], prefill: [] };
    const supervisor = {
      ready: (role: 'decode' | 'prefill') => ready[role],
      active: (role: 'decode' | 'prefill') => active[role],
      scale: (role: 'decode' | 'prefill', n: number) => {
        if (n === active[role]) return undefined;
        const change = { from: active[role], to: n };
        active[role] = n;
        return change;
      },
    } as unknown as Supervisor;
    const queue = new RequestQueue({ capacity: 10, timeoutMs: 60_000 });
    const waits = [queue.wait(20_000), queue.wait(20_000)].map((p) => p.catch(() => undefined));
    const service = {
      name: 'pd',
      model: 'm',
      routing: 'prefix',
      disaggregated: true,
      pdThresholdTokens: 2048,
      roles: { decode: decode(), prefill: prefill() },
      warnings: [],
    } satisfies LocalService;
    const loop = new LocalLoop({
      service,
      supervisor,
      queue,
      logger: silentLogger,
      metrics: localMetrics(new Registry()),
      tickMs: 1000,
      stableWindowMs: 60_000,
      panicWindowMs: 6000,
    });
    try {
      await loop.tick();
      expect(active).toEqual({ decode: 1, prefill: 0 });
      expect(loop.last.prefill?.decision.reason).toBe('decode-first');
      await loop.tick(); // decode starting: not Ready yet
      expect(active).toEqual({ decode: 1, prefill: 0 });
      const r = newReplica('decode-0', 'decode', `http://127.0.0.1:${decodeVllm.port}`, Date.now());
      r.state = 'ready';
      ready.decode.push(r);
      await loop.tick();
      expect(active).toEqual({ decode: 1, prefill: 1 });
      expect(loop.last.prefill?.decision.reason).toBe('wake');
    } finally {
      await loop.stop();
      queue.release();
      await Promise.all(waits);
    }
  });
});
