import { readFileSync } from 'node:fs';
import { ExpositionError, parsePrometheusText } from '../../autoscaler/metrics/prom-text.js';
import { histogramDelta, MissingMetricError, quantile, vllmSnapshot } from '../../autoscaler/metrics/vllm-signals.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

describe('Prometheus text parser', () => {
  it('parses names, labels with escapes, special values and timestamps', () => {
    const text = [
      '# HELP x A metric with "quotes"',
      '# TYPE x gauge',
      'x{a="1",b="q\\"uo\\\\te\\n",} 2.5',
      'y 1e3 1700000000000',
      'z{le="+Inf"} +Inf',
      'n NaN',
      'neg -Inf',
      'crlf 7\r',
      '',
    ].join('\n');
    const s = parsePrometheusText(text);
    expect(s.map((x) => x.name)).toEqual(['x', 'y', 'z', 'n', 'neg', 'crlf']);
    expect(s[0]).toEqual({ name: 'x', labels: { a: '1', b: 'q"uo\\te\n' }, value: 2.5 });
    expect(s[1]?.value).toBe(1000);
    expect(s[2]?.value).toBe(Infinity);
    expect(Number.isNaN(s[3]?.value)).toBe(true);
    expect(s[4]?.value).toBe(-Infinity);
    expect(s[5]?.value).toBe(7);
  });

  it('skips unwanted samples without parsing their labels, even with } inside quotes', () => {
    const s = parsePrometheusText('a{x="}{"} 1\nb{y="2"} 2\n', (n) => n === 'b');
    expect(s).toEqual([{ name: 'b', labels: { y: '2' }, value: 2 }]);
  });

  it.each([
    ['<html><body>502 Bad Gateway</body></html>', /invalid metric name/],
    ['{"error":"x"}', /invalid metric name/],
    ['x{a="1" 2', /expected "," or "}"|unterminated/],
    ['x{a=1} 2', /must be quoted/],
    ['x{a="1"} abc', /invalid value/],
    ['x 1 2 3', /expected "value/],
    ['vllm:num_requests_waiting 1\nvllm:num_requests_waiting{a="1"} 2 x', /line 2: expected "value/],
    ['x{a="1', /unterminated/],
    ['x', /invalid value/],
  ])('rejects garbage %j with a line-numbered error', (text, msg) => {
    expect(() => parsePrometheusText(text)).toThrow(ExpositionError);
    expect(() => parsePrometheusText(text)).toThrow(msg);
  });
});

describe('vLLM signals', () => {
  it('reads a V1 decode page: gauges, counters summed over finished_reason, histograms, cache config', () => {
    const s = vllmSnapshot(fixture('vllm-metrics.txt'));
    expect(s).toMatchObject({
      waiting: 3,
      running: 27,
      kvUsage: 0.6234,
      promptTokens: 1843211,
      generationTokens: 412877,
    });
    // 1% abort + 22% length + 77% stop of 3961, each truncated as the fixture wrote them.
    expect(s.requestsFinished).toBe(39 + 871 + 3049);
    expect(s.cacheConfig).toEqual({ blockSize: 16, numGpuBlocks: 27454 });
    expect(s.ttft?.bounds[s.ttft.bounds.length - 1]).toBe(Infinity);
    expect(s.ttft?.count).toBe(s.requestsFinished);
    expect(s.itl?.count).toBe(412877);
    expect(s.promptLength?.sum).toBe(1843211);
  });

  it('falls back to vllm:gpu_cache_usage_perc and vllm:time_per_output_token_seconds (V0 names)', () => {
    const s = vllmSnapshot(fixture('vllm-metrics-v0.txt'));
    expect(s.kvUsage).toBeCloseTo(0.4172);
    expect(s.itl?.count).toBe(133402);
  });

  it('averages KV usage over data-parallel engines and sums their queues', () => {
    const page = [
      'vllm:num_requests_waiting{engine="0"} 2',
      'vllm:num_requests_waiting{engine="1"} 3',
      'vllm:num_requests_running{engine="0"} 10',
      'vllm:num_requests_running{engine="1"} 12',
      'vllm:kv_cache_usage_perc{engine="0"} 0.5',
      'vllm:kv_cache_usage_perc{engine="1"} 0.7',
    ].join('\n');
    expect(vllmSnapshot(page)).toMatchObject({ waiting: 5, running: 22, kvUsage: 0.6 });
  });

  it('rejects a page that is valid exposition but not vLLM (a sidecar or the wrong port)', () => {
    expect(() => vllmSnapshot('process_cpu_seconds_total 12\n')).toThrow(MissingMetricError);
    expect(() => vllmSnapshot('process_cpu_seconds_total 12\n')).toThrow(/vllm:num_requests_waiting/);
  });

  it('computes quantiles from bucket deltas like histogram_quantile', () => {
    const bounds = [0.1, 0.5, 1, Infinity];
    expect(quantile(0.5, bounds, [0, 10, 10, 10])).toBeCloseTo(0.3);
    expect(quantile(0.9, bounds, [10, 10, 10, 10])).toBeCloseTo(0.09);
    expect(quantile(0.99, bounds, [0, 0, 0, 5])).toBe(1);
    expect(quantile(0.9, bounds, [0, 0, 0, 0])).toBeUndefined();
    const a = { bounds, counts: [1, 2, 3, 3], sum: 1, count: 3 };
    const b = { bounds, counts: [1, 2, 13, 13], sum: 9, count: 13 };
    const d = histogramDelta(a, b);
    expect(d?.counts).toEqual([0, 0, 10, 10]);
    // 10 new requests all between 0.5 s and 1 s: p90 inside that bucket, not dragged down by history.
    expect(quantile(0.9, bounds, d?.counts ?? [])).toBeCloseTo(0.95);
    // An engine restart (counts fell) restarts the delta from the new counts.
    expect(histogramDelta(b, a)?.counts).toEqual([1, 2, 3, 3]);
  });
});
