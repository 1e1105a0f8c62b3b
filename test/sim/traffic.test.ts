/** Trace parsing (both trace formats; bad rows → errors with line numbers), synthetic traffic, rate multiplier. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '../../model/rng.js';
import { parseAzureTimestamp } from '../../bench/sim/traffic/azure.js';
import { loadTraffic, parseTraceText, scaleRate, TraceError } from '../../bench/sim/traffic/index.js';
import { generateSynthetic, parseSyntheticSpec, rateAt } from '../../bench/sim/traffic/synthetic.js';

const TRACES = fileURLToPath(new URL('../../bench/traces/', import.meta.url));
const rng = () => createRng(3);
const moon = (rows: unknown[]): string => rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n');

describe('Mooncake JSONL', () => {
  it('parses rows and spreads each 3 s tick uniformly up to the next tick', () => {
    const text = moon([
      { timestamp: 0, input_length: 600, output_length: 5, hash_ids: [1, 2] },
      { timestamp: 0, input_length: 100, output_length: 0, hash_ids: [1] },
      { timestamp: 3000, input_length: 1024, output_length: 7, hash_ids: [1, 3] },
      { timestamp: 6000, input_length: 10, output_length: 1, hash_ids: [9] },
    ]);
    const t = parseTraceText('m.jsonl', text, rng());
    expect(t.requests).toHaveLength(4);
    const ticks = t.requests.map((r) => Math.floor(r.arrival / 3));
    expect(ticks.sort()).toEqual([0, 0, 1, 2]);
    expect(t.requests.find((r) => r.promptTokens === 100)?.outputTokens).toBe(1); // 0 output → one token
    expect(t.durationS).toBe(9);
  });

  it.each([
    ['not JSON', '{"timestamp": 0,', 'line 2: not JSON'],
    [
      'missing input_length',
      JSON.stringify({ timestamp: 0, output_length: 1, hash_ids: [] }),
      'line 2: input_length must be an integer ≥ 1',
    ],
    [
      'negative timestamp',
      JSON.stringify({ timestamp: -5, input_length: 1, output_length: 1, hash_ids: [1] }),
      'line 2: timestamp must be a number of ms ≥ 0',
    ],
    [
      'hash_ids of the wrong length',
      JSON.stringify({ timestamp: 0, input_length: 1025, output_length: 1, hash_ids: [1, 2] }),
      'line 2: hash_ids has 2 blocks but input_length 1025 needs ceil(1025/512) = 3',
    ],
    [
      'hash_ids not integers',
      JSON.stringify({ timestamp: 0, input_length: 1, output_length: 1, hash_ids: ['a'] }),
      'line 2: hash_ids must be an array of integers',
    ],
  ])('%s → error with the line number', (_n, bad, message) => {
    const text = moon([{ timestamp: 0, input_length: 1, output_length: 1, hash_ids: [1] }, bad]);
    expect(() => parseTraceText('m.jsonl', text, rng())).toThrow(TraceError);
    expect(() => parseTraceText('m.jsonl', text, rng())).toThrow(message);
  });

  it('reports several bad lines at once, capped', () => {
    const text = moon(
      Array.from({ length: 30 }, (_, i) =>
        i % 2 ? 'garbage' : { timestamp: 0, input_length: 1, output_length: 1, hash_ids: [1] },
      ),
    );
    let message = '';
    try {
      parseTraceText('m.jsonl', text, rng());
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/line 2: not JSON[\s\S]*line 4: not JSON/);
    expect(message).toContain('… and more');
  });
});

describe('Azure CSV', () => {
  const head = 'TIMESTAMP,ContextTokens,GeneratedTokens';
  it('parses wall-clock timestamps with 7 fractional digits relative to the first row', () => {
    const t = parseTraceText(
      'a.csv',
      `${head}\n2023-11-16 18:17:03.9799600,4808,10\n2023-11-16 18:17:05.4799600,100,0\n`,
      rng(),
    );
    expect(t.requests.map((r) => [r.arrival, r.promptTokens, r.outputTokens])).toEqual([
      [0, 4808, 10],
      [1.5, 100, 1],
    ]);
    expect(t.requests[0]?.hashIds).toEqual([]);
  });

  it.each([
    [
      'a bad timestamp',
      '2023-13-16 18:17:03,1,1',
      'line 3: TIMESTAMP "2023-13-16 18:17:03" is not YYYY-MM-DD HH:MM:SS[.fffffff]',
    ],
    ['a missing column', '2023-11-16 18:17:03,1', 'line 3: expected 3 columns, got 2'],
    [
      'a non-integer token count',
      '2023-11-16 18:17:03,12.5,1',
      'line 3: ContextTokens must be an integer ≥ 1, got "12.5"',
    ],
    ['a negative output', '2023-11-16 18:17:03,5,-1', 'line 3: GeneratedTokens must be an integer ≥ 0'],
  ])('%s → error with the line number', (_n, bad, message) => {
    expect(() => parseTraceText('a.csv', `${head}\n2023-11-16 18:17:03,1,1\n${bad}\n`, rng())).toThrow(message);
  });

  it('rejects a wrong header and unknown formats', () => {
    expect(() => parseTraceText('a.csv', 'TIMESTAMP,Foo,Bar\n', rng())).toThrow(
      'line 1: expected header TIMESTAMP,ContextTokens,GeneratedTokens',
    );
    expect(() => parseTraceText('x.txt', 'hello\n', rng())).toThrow('line 1: unknown trace format');
    expect(parseAzureTimestamp('2023-02-30 00:00:00')).toBeUndefined();
  });
});

describe('the bundled traces (bench/traces) and files on disk', () => {
  it('loads both bundled traces with their documented row counts and spans', async () => {
    const m = await loadTraffic({ file: join(TRACES, 'mooncake_conversation_trace.jsonl') }, { seed: 1 });
    const a = await loadTraffic({ file: join(TRACES, 'AzureLLMInferenceTrace_code.csv') }, { seed: 1 });
    expect(m.requests).toHaveLength(12_031);
    expect(a.requests).toHaveLength(8_819);
    expect(m.durationS / 60).toBeCloseTo(59, 0);
    expect(a.durationS / 60).toBeCloseTo(57.3, 0);
    expect(m.requests.every((r) => r.hashIds.length === Math.ceil(r.promptTokens / 512))).toBe(true);
  });

  it('a missing file and a bad file name the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-trace-'));
    try {
      await expect(loadTraffic({ file: join(dir, 'nope.csv') }, { seed: 1 })).rejects.toThrow(
        'nope.csv: cannot read (ENOENT)',
      );
      await writeFile(
        join(dir, 'bad.jsonl'),
        '{"timestamp":0,"input_length":1,"output_length":1,"hash_ids":[1]}\n{oops}\n',
      );
      await expect(loadTraffic({ file: join(dir, 'bad.jsonl') }, { seed: 1 })).rejects.toThrow(
        /bad\.jsonl: bad row:\n {2}line 2: not JSON/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('synthetic traffic and the rate multiplier', () => {
  it('bursty traffic has idle gaps as long as the off period', () => {
    const t = generateSynthetic(parseSyntheticSpec('bursty:rate=5,on=2m,off=10m,duration=1h'), rng());
    const gaps = t.requests.slice(1).map((r, i) => r.arrival - t.requests[i]!.arrival);
    expect(Math.max(...gaps)).toBeGreaterThan(590);
    expect(t.requests.length / (5 * 120 * 5)).toBeCloseTo(1, 1);
  });

  it('diurnal rate follows the sine between trough and peak; Poisson keeps its mean', () => {
    const d = parseSyntheticSpec('diurnal:rate=4,peak=3,period=1h');
    expect(rateAt(d, 0)).toBeCloseTo(4 * (1 - 2), 5);
    expect(rateAt(d, 1800)).toBeCloseTo(12, 5);
    const p = generateSynthetic(parseSyntheticSpec('poisson:rate=10,duration=10m'), rng());
    expect(p.requests.length / 6000).toBeCloseTo(1, 1);
  });

  it.each([
    ['storm:rate=1', 'kind must be one of poisson, bursty, diurnal'],
    ['poisson:rate=-1', 'rate=-1: must be a number in [0.001, 10000]'],
    ['bursty:off=forever', 'off=forever: must be a duration'],
    ['poisson:speed=3', 'unknown parameter "speed"'],
  ])('%s is rejected', (spec, message) => {
    expect(() => parseSyntheticSpec(spec)).toThrow(message);
  });

  it('the rate multiplier scales the count, keeps the timeline and gives copies their own prefixes', () => {
    const base = generateSynthetic(parseSyntheticSpec('poisson:rate=5,duration=10m,prefix=0'), rng());
    const x2 = scaleRate(base, 2, rng());
    const half = scaleRate(base, 0.5, rng());
    expect(x2.requests).toHaveLength(2 * base.requests.length);
    expect(half.requests.length / (base.requests.length / 2)).toBeCloseTo(1, 1);
    expect(x2.durationS).toBe(base.durationS);
    expect(new Set(x2.requests.flatMap((r) => r.hashIds)).size).toBe(
      2 * new Set(base.requests.flatMap((r) => r.hashIds)).size,
    );
  });
});
