import { parseAnnotations } from '../../core/annotations/parse.js';
import { ANNOTATIONS } from '../../core/annotations/registry.js';
import { parseByteQuantity, parseDuration } from '../../core/annotations/values.js';

const P = 'kserve-llmd.io/';

function parse(annotations: Record<string, string>) {
  const r = parseAnnotations(annotations);
  if (!r.optedIn) throw new Error('expected opt-in');
  return r;
}

describe('opt-in', () => {
  it.each([
    [undefined, false],
    [{}, false],
    [{ 'serving.kserve.io/deploymentMode': 'Knative' }, false],
    [{ [`${P}routing`]: 'none' }, true],
    [{ [`${P}anything`]: 'x' }, true],
  ])('%j → opted in %s', (annotations, expected) => {
    expect(parseAnnotations(annotations as Record<string, string> | undefined).optedIn).toBe(expected);
  });
});

describe('valid values', () => {
  it.each([
    ['routing', 'prefix-aware', (s: any) => s.routing, 'prefix-aware'],
    ['routing', 'load-aware', (s: any) => s.routing, 'load-aware'],
    ['routing', 'precise-prefix', (s: any) => s.routing, 'precise-prefix'],
    ['routing', 'none', (s: any) => s.routing, 'none'],
    ['routing', ' load-aware ', (s: any) => s.routing, 'load-aware'],
    ['disaggregation', 'none', (s: any) => s.disaggregation, 'none'],
    ['disaggregation', 'prefill-decode', (s: any) => s.disaggregation, 'prefill-decode'],
    ['accelerator', 'nvidia', (s: any) => s.accelerator, 'nvidia'],
    ['accelerator', 'amd', (s: any) => s.accelerator, 'amd'],
    ['accelerator', 'tpu', (s: any) => s.accelerator, 'tpu'],
    ['accelerator', 'intel-xpu', (s: any) => s.accelerator, 'intel-xpu'],
    ['accelerator', 'gaudi', (s: any) => s.accelerator, 'gaudi'],
    ['accelerator', 'cpu', (s: any) => s.accelerator, 'cpu'],
    ['kv-offload', 'cpu=100Gi', (s: any) => s.kvOffload, { cpu: '100Gi', cpuBytes: 100 * 2 ** 30 }],
    [
      'kv-offload',
      'cpu=100Gi,disk=500Gi',
      (s: any) => s.kvOffload,
      { cpu: '100Gi', cpuBytes: 100 * 2 ** 30, disk: '500Gi', diskBytes: 500 * 2 ** 30 },
    ],
    ['kv-offload', 'cpu=200G, disk=2Ti', (s: any) => s.kvOffload?.diskBytes, 2 * 2 ** 40],
    ['decode-replicas', '0-4', (s: any) => s.decodeReplicas, { min: 0, max: 4 }],
    ['decode-replicas', '2-2', (s: any) => s.decodeReplicas, { min: 2, max: 2 }],
    ['prefill-replicas', '0-1000', (s: any) => s.prefillReplicas, { min: 0, max: 1000 }],
    ['slo', 'ttft=2s,itl=100ms', (s: any) => s.slo, { ttftMs: 2000, itlMs: 100 }],
    ['slo', 'itl=50ms', (s: any) => s.slo, { ttftMs: 2000, itlMs: 50 }],
    ['slo', 'ttft=1.5s', (s: any) => s.slo.ttftMs, 1500],
    ['scale-to-zero-after', '5m', (s: any) => s.scaleToZeroAfterMs, 300_000],
    ['scale-to-zero-after', '1h30m', (s: any) => s.scaleToZeroAfterMs, 5_400_000],
    ['scale-to-zero-after', '30s', (s: any) => s.scaleToZeroAfterMs, 30_000],
    [
      'gateway',
      'gateways/inference-gateway',
      (s: any) => s.gateway,
      { namespace: 'gateways', name: 'inference-gateway' },
    ],
    ['prefill-for', 'llama', (s: any) => s.prefillFor, 'llama'],
    ['prefill-throughput', '38000', (s: any) => s.prefillThroughput, 38_000],
    ['prefill-throughput', '100', (s: any) => s.prefillThroughput, 100],
  ])('%s: %j', (name, value, pick, expected) => {
    const r = parse({ [P + name]: value });
    expect(r.errors).toEqual([]);
    expect(pick(r.settings)).toEqual(expected);
  });

  it('fills documented defaults for everything not given', () => {
    const { settings } = parse({ [`${P}routing`]: 'prefix-aware' });
    expect(settings).toMatchObject({
      disaggregation: 'none',
      kvOffload: null,
      decodeReplicas: { min: 1, max: 4 },
      prefillReplicas: { min: 0, max: 4 },
      slo: { ttftMs: 2000, itlMs: 100 },
      scaleToZeroAfterMs: 300_000,
      prefillThroughput: null,
      gateway: null,
      prefillFor: null,
    });
    expect(settings.accelerator).toBeUndefined();
    expect([...settings.explicit]).toEqual(['routing']);
  });
});

describe('invalid values name the annotation, the value and the accepted forms', () => {
  it.each([
    [
      'routing',
      'prefix',
      /kserve-llmd.io\/routing: "prefix" is not valid \(unknown value \(did you mean "prefix-aware"\?\)\); accepted: prefix-aware, load-aware, precise-prefix, none/,
    ],
    ['routing', 'PREFIX-AWARE', /routing: "PREFIX-AWARE" is not valid/],
    ['disaggregation', 'pd', /disaggregation: "pd" is not valid.*accepted: none, prefill-decode/],
    ['accelerator', 'nvdia', /did you mean "nvidia"/],
    ['accelerator', 'h100', /accelerator: "h100".*accepted: nvidia, amd, tpu, intel-xpu, gaudi, cpu/],
    ['kv-offload', 'disk=1Ti', /the cpu tier is required/],
    ['kv-offload', 'cpu=100', /cpu=100 must be a quantity in \[1Gi, 16Ti\]/],
    ['kv-offload', 'cpu=lots', /cpu=lots must be a quantity/],
    ['kv-offload', 'cpu=100Gi,gpu=1Gi', /unknown tier gpu/],
    ['kv-offload', 'cpu=100Gi,cpu=1Gi', /cpu is given twice/],
    ['kv-offload', 'cpu', /"cpu" is not key=value/],
    ['kv-offload', 'cpu=100Gi,disk=2Pi', /disk=2Pi must be a quantity in \[1Gi, 1Pi\]/],
    ['decode-replicas', '5-2', /MIN 5 is greater than MAX 2/],
    ['decode-replicas', '0-0', /MAX must be in \[1, 1000\]/],
    ['decode-replicas', '4', /not of the form MIN-MAX/],
    ['decode-replicas', '-1-4', /not of the form MIN-MAX/],
    ['prefill-replicas', '1-1001', /MAX must be in \[1, 1000\]/],
    ['slo', 'ttft=2', /ttft=2 must be a duration in \[10ms, 10m\]/],
    ['slo', 'ttft=1h', /ttft=1h must be a duration/],
    ['slo', 'itl=0ms', /itl=0ms must be a duration in \[1ms, 10s\]/],
    ['slo', 'tpot=50ms', /unknown target tpot/],
    ['slo', 'ttf=1s', /unknown target ttf \(did you mean ttft\?\)/],
    [
      'scale-to-zero-after',
      '5',
      /scale-to-zero-after: "5" is not valid \(not a duration\); accepted: a duration in \[30s, 24h\]/,
    ],
    ['scale-to-zero-after', '10s', /out of range/],
    ['scale-to-zero-after', '2d', /not a duration/],
    ['gateway', 'inference-gateway', /gateway: "inference-gateway" is not valid \(not NAMESPACE\/NAME\)/],
    ['gateway', 'a/b/c', /not NAMESPACE\/NAME/],
    ['gateway', 'Gateways/x', /not NAMESPACE\/NAME/],
    ['prefill-for', 'Not_A_Name', /not an InferenceService name/],
    [
      'prefill-throughput',
      '15k',
      /prefill-throughput: "15k" is not valid \(not an integer\); accepted: prompt tokens per second one replica prefills, an integer in \[100, 10000000\]/,
    ],
    ['prefill-throughput', '99', /out of range/],
    ['prefill-throughput', '2.5e4', /not an integer/],
  ])('%s: %j', (name, value, message) => {
    const r = parse({ [P + name]: value });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(message);
  });

  it('denies an unknown key with a did-you-mean and the known keys', () => {
    const r = parse({ [`${P}routng`]: 'none' });
    expect(r.errors).toEqual([
      expect.stringMatching(
        /^kserve-llmd.io\/routng is not a kserve-llmd annotation \(did you mean kserve-llmd.io\/routing\?\); known: kserve-llmd.io\/routing, /,
      ),
    ]);
    expect(parse({ [`${P}zzzzzzzz`]: 'x' }).errors[0]).not.toMatch(/did you mean/);
  });

  it('reports every problem at once', () => {
    const r = parse({ [`${P}routing`]: 'x', [`${P}decode-replicas`]: '9-1', [`${P}foo`]: '1' });
    expect(r.errors).toHaveLength(3);
  });
});

describe('value parsers', () => {
  it.each([
    ['500ms', 500],
    ['1.5s', 1500],
    ['2m30s', 150_000],
    ['1h', 3_600_000],
  ])('duration %s = %d ms', (text, ms) => expect(parseDuration(text)).toEqual({ ok: true, value: ms }));
  it.each(['', 's', '5', '5x', '1h 30m', '-5s'])('duration %j is rejected', (text) =>
    expect(parseDuration(text).ok).toBe(false),
  );
  it.each([
    ['1Ki', 1024],
    ['1k', 1000],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['42', 42],
  ])('quantity %s = %d bytes', (text, bytes) => expect(parseByteQuantity(text)).toEqual({ ok: true, value: bytes }));
  it.each(['1GB', 'Gi', '1 Gi', '-1Gi', '1e3'])('quantity %j is rejected', (text) =>
    expect(parseByteQuantity(text).ok).toBe(false),
  );
});

it('every user annotation documents its accepted forms, default and an example that parses', () => {
  for (const spec of ANNOTATIONS.filter((a) => !a.owned)) {
    expect(spec.accepted.length).toBeGreaterThan(3);
    expect(spec.default.length).toBeGreaterThan(0);
    expect(parse({ [P + spec.name]: spec.example }).errors).toEqual([]);
  }
});
