/** The webhook's patch is applied by the API server to the original: applying it must give the mutated object. */
import fastJsonPatch from 'fast-json-patch';
import { jsonPatch } from '../../webhooks/admission.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

function randomValue(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * (depth > 3 ? 4 : 7));
  if (k === 0) return Math.floor(r() * 100);
  if (k === 1) return ['a', 'b/c', 'd~e', ''][Math.floor(r() * 4)];
  if (k === 2) return r() < 0.5;
  if (k === 3) return null;
  if (k === 4) return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
  return Object.fromEntries(
    Array.from({ length: Math.floor(r() * 5) }, (_, i) => [
      ['x', 'y/z', 'w~v', `k${i}`][i % 4]!,
      randomValue(r, depth + 1),
    ]),
  );
}

/** Mutate like the webhook does: some subtrees copied and changed, the rest shared by reference. */
function mutate(r: () => number, v: unknown, depth: number): unknown {
  if (typeof v !== 'object' || v === null) return r() < 0.3 ? randomValue(r, depth) : v;
  if (r() < 0.4) return v; // shared subtree
  if (Array.isArray(v)) return r() < 0.5 ? [...v, randomValue(r, depth + 1)] : v.map((x) => mutate(r, x, depth + 1));
  const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
  for (const key of Object.keys(out)) {
    const roll = r();
    if (roll < 0.15) delete out[key];
    else out[key] = mutate(r, out[key], depth + 1);
  }
  if (r() < 0.3) out[`new/${Math.floor(r() * 10)}`] = randomValue(r, depth + 1);
  return out;
}

describe('jsonPatch', () => {
  it('applied to the original gives the mutated object (2,000 seeded cases), and never modifies the original', () => {
    const r = rng(42);
    for (let i = 0; i < 2000; i++) {
      const original = { metadata: randomValue(r, 1), spec: randomValue(r, 1) };
      const frozen = JSON.stringify(original);
      const mutated = mutate(r, original, 0);
      const ops = jsonPatch(original, mutated);
      const applied = fastJsonPatch.applyPatch(
        structuredClone(original),
        structuredClone(ops),
        true,
        false,
      ).newDocument;
      expect([i, applied]).toEqual([i, JSON.parse(JSON.stringify(mutated))]);
      expect(JSON.stringify(original)).toBe(frozen);
    }
  });

  it('an unchanged object gives no operations; shared subtrees are not walked into operations', () => {
    const big = { managedFields: Array.from({ length: 50 }, (_, i) => ({ manager: `m${i}` })) };
    const original = { metadata: big, spec: { predictor: { labels: { a: '1' } } } };
    expect(jsonPatch(original, original)).toEqual([]);
    const mutated = { ...original, spec: { predictor: { labels: { a: '1', 'llm-d.ai/role': 'decode' } } } };
    expect(jsonPatch(original, mutated)).toEqual([
      { op: 'add', path: '/spec/predictor/labels/llm-d.ai~1role', value: 'decode' },
    ]);
  });
});
