/** Router choices: llm-d default scoring (prefix 3, queue 2, kv 2, max-score) and round-robin; the P/D decision. */
import { SimClock } from '../../bench/sim/clock.js';
import { Engine } from '../../model/engine.js';
import { LLAMA3_8B } from '../../model/presets.js';
import { createRng } from '../../model/rng.js';
import { createRouter, llmdScores, PrefixIndex, wantsRemotePrefill, type RoutablePod } from '../../model/router.js';

function pods(n: number): RoutablePod[] {
  const clock = new SimClock();
  return Array.from({ length: n }, (_, i) => ({
    id: `p${i}`,
    engine: new Engine(`p${i}`, LLAMA3_8B, clock),
    prefix: new PrefixIndex(1000),
  }));
}

/** Put `waiting` requests in an engine's queue without running it. */
function queue(p: RoutablePod, waiting: number): void {
  for (let i = 0; i < waiting; i++) p.engine.waiting.push({} as never);
}

const req = (hashIds: number[], promptTokens = hashIds.length * 512) => ({ promptTokens, hashIds });

describe('llm-d scoring', () => {
  it.each([
    [
      'prefix match wins over an equal fleet',
      () => {
        const p = pods(3);
        p[1]!.prefix.add([1, 2, 3, 4]);
        return p;
      },
      [1, 2, 3, 4],
      'p1',
    ],
    [
      'the shorter queue wins without prefix information',
      () => {
        const p = pods(3);
        queue(p[0]!, 4);
        queue(p[2]!, 2);
        return p;
      },
      [],
      'p1',
    ],
    // prefix 3×1.0 = 3 beats queue 2×1.0 = 2: a full prefix hit outweighs a longer queue
    [
      'a full prefix hit outweighs a longer queue',
      () => {
        const p = pods(2);
        p[0]!.prefix.add([7, 8]);
        queue(p[0]!, 3);
        return p;
      },
      [7, 8],
      'p0',
    ],
    // a half hit (1.5) loses to the empty queue (2): queue-scorer min-max makes the busy pod 0
    [
      'a half prefix hit loses to an idle pod when the hit pod has the longest queue',
      () => {
        const p = pods(2);
        p[0]!.prefix.add([7]);
        queue(p[0]!, 3);
        return p;
      },
      [7, 8],
      'p1',
    ],
  ])('%s', (_name, make, hashIds, want) => {
    const fleet = make();
    const router = createRouter('llm-d', createRng(1));
    expect(router.pick(req(hashIds), fleet).id).toBe(want);
  });

  it('scores follow the scorer READMEs', () => {
    const p = pods(2);
    p[0]!.prefix.add([1, 2]);
    queue(p[1]!, 5);
    const [a, b] = llmdScores(req([1, 2, 3, 4]), p);
    expect(a).toEqual({ prefix: 0.5, queue: 1, kv: 1, total: 3 * 0.5 + 2 * 1 + 2 * 1 });
    expect(b).toMatchObject({ prefix: 0, queue: 0, kv: 1 });
  });

  it('breaks ties at random, reproducibly for a seed, and spreads over the tied pods', () => {
    const fleet = pods(4);
    const picks = (seed: number): string[] => {
      const r = createRouter('llm-d', createRng(seed));
      return Array.from({ length: 40 }, () => r.pick(req([]), fleet).id);
    };
    expect(picks(7)).toEqual(picks(7));
    expect(new Set(picks(7)).size).toBe(4);
  });

  it('round-robin cycles regardless of load or prefix', () => {
    const fleet = pods(3);
    fleet[0]!.prefix.add([1]);
    queue(fleet[1]!, 10);
    const r = createRouter('round-robin', createRng(1));
    expect(Array.from({ length: 6 }, () => r.pick(req([1]), fleet).id)).toEqual(['p0', 'p1', 'p2', 'p0', 'p1', 'p2']);
  });
});

describe('P/D decision (prefix-based-pd-decider)', () => {
  it.each([
    ['long uncached prompt → remote prefill', 4096, [], 1024, true],
    ['short prompt → local prefill', 800, [], 1024, false],
    ['long prompt mostly cached on the decode pod → local prefill', 4096, [1, 2, 3, 4, 5, 6, 7, 8], 1024, false],
  ])('%s', (_n, promptTokens, cached, threshold, want) => {
    const [d] = pods(1);
    d!.prefix.add(cached);
    expect(wantsRemotePrefill({ promptTokens, hashIds: [1, 2, 3, 4, 5, 6, 7, 8] }, d!, threshold)).toBe(want);
  });
});
