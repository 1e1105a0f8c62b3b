import { readFileSync } from 'node:fs';
import { ExpositionError } from '../../autoscaler/metrics/prom-text.js';
import { MissingMetricError, vllmSnapshot, type PodSnapshot } from '../../autoscaler/metrics/vllm-signals.js';
import { VllmPageParser, vllmSnapshotFromBytes } from '../../autoscaler/metrics/vllm-stream.js';
import { renderVllm } from './support/fake-vllm.js';

// The streaming byte parser is the collector's fast path; the string parser (vllmSnapshot) is the reference.
// Every page here must give the same snapshot, or the same error, through both — whatever the chunking.
const fixture = (name: string): string => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

type Outcome = { snap: PodSnapshot } | { error: string; kind: string };
function outcome(run: () => PodSnapshot): Outcome {
  try {
    return { snap: run() };
  } catch (err) {
    return { error: (err as Error).message, kind: (err as Error).constructor.name };
  }
}

/** The page through the fast path, cut into chunks at the given offsets (bytes). */
function streamed(page: string, cuts: number[]): PodSnapshot {
  const bytes = Buffer.from(page, 'utf8');
  const p = new VllmPageParser();
  let from = 0;
  for (const c of [...cuts, bytes.length]) {
    p.push(bytes.subarray(from, c));
    from = c;
  }
  return p.end();
}

const V1 = fixture('vllm-metrics.txt');
const MODEL = 'engine="0",model_name="m"';
const base = ['vllm:num_requests_waiting 1', 'vllm:num_requests_running 2', 'vllm:kv_cache_usage_perc 0.5'];
const valid: Array<[string, string]> = [
  ['V1 decode page', V1],
  ['V0 names', fixture('vllm-metrics-v0.txt')],
  ['prefill page', fixture('vllm-metrics-prefill.txt')],
  [
    'test fake page',
    renderVllm(
      { waiting: 3, running: 7, kv: 0.42, promptRate: 0, genRate: 0, reqRate: 0, meanPrompt: 900, mode: 'ok' },
      { prompt: 1234, gen: 99, req: 17 },
    ),
  ],
  ['CRLF line ends, no final newline', V1.replaceAll('\n', '\r\n').trimEnd()],
  [
    'two engines: queues summed, KV averaged, buckets summed by bound',
    [
      ...['0', '1'].flatMap((e) => [
        `vllm:num_requests_waiting{engine="${e}"} ${e === '0' ? 2 : 3}`,
        `vllm:num_requests_running{engine="${e}"} 10`,
        `vllm:kv_cache_usage_perc{engine="${e}"} 0.${e === '0' ? 3 : 9}`,
        `vllm:time_to_first_token_seconds_bucket{engine="${e}",le="0.5"} 4.0`,
        `vllm:time_to_first_token_seconds_bucket{engine="${e}",le="+Inf"} 9.0`,
        `vllm:time_to_first_token_seconds_sum{engine="${e}"} 3.25`,
        `vllm:time_to_first_token_seconds_count{engine="${e}"} 9.0`,
      ]),
    ].join('\n'),
  ],
  [
    'buckets out of order, -0 and odd bounds, NaN/Inf values, timestamps, escapes',
    [
      ...base,
      `vllm:inter_token_latency_seconds_bucket{${MODEL},le="1e-1"} 3 1700000000000`,
      `vllm:inter_token_latency_seconds_bucket{${MODEL},le="+Inf"} 5`,
      `vllm:inter_token_latency_seconds_bucket{${MODEL},le="-0"} 1`,
      `vllm:inter_token_latency_seconds_bucket{${MODEL},le="0"} 1`,
      `vllm:inter_token_latency_seconds_bucket{${MODEL},le="Inf"} 7`,
      `vllm:inter_token_latency_seconds_bucket{${MODEL}} 7`,
      `vllm:inter_token_latency_seconds_sum{${MODEL},note="a \\"q\\" \\\\ \\n é"} NaN`,
      'vllm:inter_token_latency_seconds_count 5e0',
      'vllm:prompt_tokens_total{a="1",} +Inf',
      'vllm:prompt_tokens_total 12.5',
      'vllm:generation_tokens_total -Inf',
      'vllm:request_success_total{finished_reason="stop"}\t7\t  ',
      'vllm:cache_config_info{num_gpu_blocks="100",block_size="16"} 1',
      'vllm:cache_config_info{block_size="32",num_gpu_blocks="1"} 1',
      'other_metric{x="}{\\"",y=""} 123456789012345678901',
      '# a comment with "quotes" {',
      '',
      'vllm:e2e_request_latency_seconds_bucket{le="1"} 2',
    ].join('\n'),
  ],
  [
    'label name with surrounding spaces and a kept escaped le',
    [
      ...base,
      `vllm:time_to_first_token_seconds_bucket{ le ="0.\\x5", engine="0"} 2`,
      'vllm:time_to_first_token_seconds_count 2',
    ].join('\n'),
  ],
  [
    'unwanted lines are only name-checked (as the reference skips them)',
    [...base, 'x{a="1" 2', 'y{ 3 4 5', 'z'].join('\n'),
  ],
  [
    'V0 KV name and ITL name only',
    [
      'vllm:num_requests_waiting 0',
      'vllm:num_requests_running 0',
      'vllm:gpu_cache_usage_perc 1.5',
      'vllm:time_per_output_token_seconds_bucket{le="+Inf"} 2',
      'vllm:time_per_output_token_seconds_count 2',
    ].join('\n'),
  ],
];

const garbage: string[] = [
  '<html><body>502 Bad Gateway</body></html>',
  '{"error":"x"}',
  `${base.join('\n')}\nvllm:num_requests_running{a="1" 2`,
  `${base.join('\n')}\nvllm:num_requests_waiting{a=1} 2`,
  `${base.join('\n')}\nvllm:num_requests_waiting{a="1"} abc`,
  `${base.join('\n')}\nvllm:num_requests_waiting 1 2 3`,
  `${base.join('\n')}\nvllm:num_requests_waiting{a="1`,
  `${base.join('\n')}\nvllm:num_requests_waiting{a="1\\`,
  `${base.join('\n')}\nvllm:num_requests_waiting`,
  `${base.join('\n')}\nvllm:num_requests_waiting{1a="1"} 2`,
  `${base.join('\n')}\nvllm:num_requests_waiting{a="1"b="2"} 2`,
  `${base.join('\n')}\nvllm:num_requests_waiting{a} 2`,
  `${base.join('\n')}\nvllm:num_requests_waiting{a="1"} 0x10`,
  `${base.join('\n')}\nvllm:num_requests_waiting{a="1"} 1 12.5`,
  `${base.join('\n')}\n9bad_name 1`,
  `${base.join('\n')}\nbad-name{x="1"} 1`,
  `${base.join('\n')}\n é 1`,
  'process_cpu_seconds_total 12\n',
  'vllm:num_requests_running 1\nvllm:gpu_cache_usage_perc 0.2\n',
  '',
  V1.replace('vllm:num_requests_waiting{', 'vllm:num_requests_waiting{le=1,'),
  V1.replace(/(vllm:time_to_first_token_seconds_bucket\{[^}]*\}) 0\.0/, '$1 zero'),
];

describe('streaming vLLM page parser (collector fast path)', () => {
  it.each(valid)('%s: same snapshot as the reference parser, whole and in chunks', (_name, page) => {
    const want = vllmSnapshot(page);
    expect(vllmSnapshotFromBytes(Buffer.from(page))).toEqual(want);
    const len = Buffer.byteLength(page);
    // Cuts inside names, labels, values and at line ends: every offset for small pages, a stride for big ones.
    const step = len > 4000 ? 97 : 1;
    for (let c = 1; c < len; c += step) expect(streamed(page, [c])).toEqual(want);
    expect(
      streamed(
        page,
        Array.from({ length: Math.floor(len / 7) }, (_, k) => (k + 1) * 7),
      ),
    ).toEqual(want);
  });

  it('reads the fixture the way the signals test expects (not just equal: right)', () => {
    const s = vllmSnapshotFromBytes(Buffer.from(V1));
    expect(s).toMatchObject({
      waiting: 3,
      running: 27,
      kvUsage: 0.6234,
      cacheConfig: { blockSize: 16, numGpuBlocks: 27454 },
    });
    expect(s.ttft?.count).toBe(39 + 871 + 3049);
  });

  it.each(garbage.map((g) => [g.slice(0, 60), g]))('rejects %j exactly like the reference', (_n, page) => {
    const want = outcome(() => vllmSnapshot(page));
    expect('error' in want).toBe(true);
    expect(outcome(() => vllmSnapshotFromBytes(Buffer.from(page)))).toEqual(want);
    expect(outcome(() => streamed(page, [Math.floor(Buffer.byteLength(page) / 2)]))).toEqual(want);
  });

  it('throws the reference error classes', () => {
    expect(() => vllmSnapshotFromBytes(Buffer.from('<html>'))).toThrow(ExpositionError);
    expect(() => vllmSnapshotFromBytes(Buffer.from('process_cpu_seconds_total 1\n'))).toThrow(MissingMetricError);
  });

  it('shares histogram bounds between snapshots (one array per bucket layout, not one per pod and tick)', () => {
    const a = vllmSnapshotFromBytes(Buffer.from(V1));
    const b = vllmSnapshotFromBytes(Buffer.from(V1));
    expect(a.ttft?.bounds).toBe(b.ttft?.bounds);
    expect(a.ttft?.counts).not.toBe(b.ttft?.counts);
  });
});
