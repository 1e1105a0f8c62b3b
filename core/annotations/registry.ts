/**
 * Every `kserve-llmd.io/…` annotation: its accepted forms, default, and parser. Ordered; the README's
 * annotation reference is this table. A parser returns an error string without the annotation name.
 */
import { ACCELERATORS, type Accelerator } from '../names.js';
import {
  DISAGGREGATION_MODES,
  ROUTING_MODES,
  type Disaggregation,
  type LlmdSettings,
  type Routing,
} from './settings.js';
import {
  closest,
  formatDuration,
  inRange,
  isDnsLabel,
  isDnsSubdomain,
  parseByteQuantity,
  parseDuration,
  parsePairs,
  parseReplicaRange,
  type Parsed,
} from './values.js';

type Settable = Omit<LlmdSettings, 'explicit'>;

export interface AnnotationSpec {
  /** The name after the `kserve-llmd.io/` prefix. */
  name: string;
  accepted: string;
  default: string;
  example: string;
  /** Written by kserve-llmd itself (controller or webhook); users do not set it. */
  owned?: boolean;
  parse(value: string, settings: Settable): string | undefined;
}

function oneOf<T extends string>(values: readonly T[], value: string): Parsed<T> {
  if ((values as readonly string[]).includes(value)) return { ok: true, value: value as T };
  const hint = closest(value, values);
  return { ok: false, error: hint ? `unknown value (did you mean "${hint}"?)` : 'unknown value' };
}

const GiB = 2 ** 30;

function parseKvOffload(value: string, s: Settable): string | undefined {
  const pairs = parsePairs(value);
  if (!pairs.ok) return pairs.error;
  const unknown = [...pairs.value.keys()].filter((k) => k !== 'cpu' && k !== 'disk');
  if (unknown.length > 0) return `unknown tier ${unknown.join(', ')}`;
  const cpu = pairs.value.get('cpu');
  const disk = pairs.value.get('disk');
  if (cpu === undefined) return 'the cpu tier is required (disk is a tier below cpu)';
  const cpuBytes = parseByteQuantity(cpu);
  if (!cpuBytes.ok || cpuBytes.value < GiB || cpuBytes.value > 16 * 2 ** 40)
    return `cpu=${cpu} must be a quantity in [1Gi, 16Ti]`;
  s.kvOffload = { cpu, cpuBytes: cpuBytes.value };
  if (disk === undefined) return undefined;
  const diskBytes = parseByteQuantity(disk);
  if (!diskBytes.ok || diskBytes.value < GiB || diskBytes.value > 2 ** 50)
    return `disk=${disk} must be a quantity in [1Gi, 1Pi]`;
  s.kvOffload = { ...s.kvOffload, disk, diskBytes: diskBytes.value };
  return undefined;
}

function parseSlo(value: string, s: Settable): string | undefined {
  const pairs = parsePairs(value);
  if (!pairs.ok) return pairs.error;
  const limits = { ttft: [10, 600_000], itl: [1, 10_000] } as const;
  const slo = { ...s.slo };
  for (const [key, text] of pairs.value) {
    if (key !== 'ttft' && key !== 'itl')
      return (
        `unknown target ${key}` +
        `${closest(key, ['ttft', 'itl']) ? ` (did you mean ${closest(key, ['ttft', 'itl'])}?)` : ''}`
      );
    const [min, max] = limits[key];
    const ms = parseDuration(text);
    if (!ms.ok || !inRange(ms.value, min, max))
      return `${key}=${text} must be a duration in [${formatDuration(min)}, ${formatDuration(max)}]`;
    if (key === 'ttft') slo.ttftMs = ms.value;
    else slo.itlMs = ms.value;
  }
  s.slo = slo;
  return undefined;
}

function replicas(field: 'decodeReplicas' | 'prefillReplicas') {
  return (value: string, s: Settable): string | undefined => {
    const range = parseReplicaRange(value);
    if (!range.ok) return range.error;
    s[field] = range.value;
    return undefined;
  };
}

const SCALE_TO_ZERO_LIMITS = [30_000, 86_400_000] as const;
/** Tokens/s: a CPU engine prefills ~2k (llm-d calibration matrix), an H100 TP1 8B ~40k; 10M leaves TP8 room. */
const PREFILL_THROUGHPUT_LIMITS = [100, 10_000_000] as const;

export const ANNOTATIONS: readonly AnnotationSpec[] = [
  {
    name: 'routing',
    accepted: ROUTING_MODES.join(', '),
    default: 'prefix-aware',
    example: 'prefix-aware',
    parse(value, s) {
      const r = oneOf<Routing>(ROUTING_MODES, value);
      if (!r.ok) return r.error;
      s.routing = r.value;
      return undefined;
    },
  },
  {
    name: 'disaggregation',
    accepted: DISAGGREGATION_MODES.join(', '),
    default: 'none',
    example: 'prefill-decode',
    parse(value, s) {
      const r = oneOf<Disaggregation>(DISAGGREGATION_MODES, value);
      if (!r.ok) return r.error;
      s.disaggregation = r.value;
      return undefined;
    },
  },
  {
    name: 'accelerator',
    accepted: ACCELERATORS.join(', '),
    default:
      'inferred from the predictor resources (nvidia.com/gpu, ' +
      'amd.com/gpu, google.com/tpu, gpu.intel.com/*, ' +
      'habana.ai/gaudi), else cpu',
    example: 'amd',
    parse(value, s) {
      const r = oneOf<Accelerator>(ACCELERATORS, value);
      if (!r.ok) return r.error;
      s.accelerator = r.value;
      return undefined;
    },
  },
  {
    name: 'kv-offload',
    accepted: 'cpu=QUANTITY or cpu=QUANTITY,disk=QUANTITY (cpu in [1Gi, 16Ti], disk in [1Gi, 1Pi])',
    default: 'off',
    example: 'cpu=100Gi,disk=500Gi',
    parse: parseKvOffload,
  },
  {
    name: 'decode-replicas',
    accepted: `MIN-MAX with 0 ≤ MIN ≤ MAX, 1 ≤ MAX ≤ 1000 (MIN 0 = scale to zero)`,
    default: '1-4',
    example: '0-8',
    parse: replicas('decodeReplicas'),
  },
  {
    name: 'prefill-replicas',
    accepted: `MIN-MAX with 0 ≤ MIN ≤ MAX, 1 ≤ MAX ≤ 1000 (needs disaggregation: prefill-decode)`,
    default: '0-4',
    example: '0-4',
    parse: replicas('prefillReplicas'),
  },
  {
    name: 'slo',
    accepted: 'ttft=DURATION,itl=DURATION (either or both; ttft in [10ms, 10m], itl in [1ms, 10s])',
    default: 'ttft=2s,itl=100ms',
    example: 'ttft=1s,itl=50ms',
    parse: parseSlo,
  },
  {
    name: 'scale-to-zero-after',
    accepted:
      `a duration in ` +
      `[${formatDuration(SCALE_TO_ZERO_LIMITS[0])}, ${formatDuration(SCALE_TO_ZERO_LIMITS[1])}], ` +
      `e.g. 90s, 5m, 1h`,
    default: '5m',
    example: '10m',
    parse(value, s) {
      const ms = parseDuration(value);
      if (!ms.ok) return ms.error;
      if (!inRange(ms.value, ...SCALE_TO_ZERO_LIMITS)) return 'out of range';
      s.scaleToZeroAfterMs = ms.value;
      return undefined;
    },
  },
  {
    name: 'prefill-throughput',
    accepted:
      `prompt tokens per second one replica prefills, an integer ` +
      `in [${PREFILL_THROUGHPUT_LIMITS[0]}, ` +
      `${PREFILL_THROUGHPUT_LIMITS[1]}] (llm-d's calibrate.sh ` +
      `prints it as peakPrefillThroughput)`,
    default: '15000 (the autoscaler raises it to what it measures)',
    example: '38000',
    parse(value, s) {
      if (!/^\d+$/.test(value)) return 'not an integer';
      const n = Number(value);
      if (!inRange(n, ...PREFILL_THROUGHPUT_LIMITS)) return 'out of range';
      s.prefillThroughput = n;
      return undefined;
    },
  },
  {
    name: 'gateway',
    accepted: 'NAMESPACE/NAME of a Gateway (gateway.networking.k8s.io)',
    default: 'none (the controller default, if any)',
    example: 'gateways/inference-gateway',
    parse(value, s) {
      const [namespace, name, ...rest] = value.split('/');
      if (rest.length > 0 || !namespace || !name || !isDnsLabel(namespace) || !isDnsSubdomain(name))
        return 'not NAMESPACE/NAME';
      s.gateway = { namespace, name };
      return undefined;
    },
  },
  {
    name: 'prefill-for',
    owned: true,
    accepted: 'the name of the InferenceService this prefill sibling serves (set by the controller)',
    default: 'unset',
    example: 'llama-8b',
    parse(value, s) {
      if (!isDnsSubdomain(value)) return 'not an InferenceService name';
      s.prefillFor = value;
      return undefined;
    },
  },
  {
    name: 'defaulted',
    owned: true,
    accepted: 'JSON written by the webhook (the fields it defaulted)',
    default: 'unset',
    example: '{}',
    parse: () => undefined,
  },
  {
    name: 'status',
    owned: true,
    accepted: 'written by the controller',
    default: 'unset',
    example: '',
    parse: () => undefined,
  },
  {
    name: 'vllm-port',
    owned: true,
    accepted: 'written on pods by the pod webhook',
    default: 'unset',
    example: '8200',
    parse: () => undefined,
  },
  {
    name: 'injected',
    owned: true,
    accepted: 'written on pods by the pod webhook',
    default: 'unset',
    example: 'kv-transfer',
    parse: () => undefined,
  },
];

export const ANNOTATION_NAMES: readonly string[] = ANNOTATIONS.map((a) => a.name);
