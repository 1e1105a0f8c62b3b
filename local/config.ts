/**
 * `kserve-llmd local` configuration: typed, parsed and validated once; defaults here and nowhere else; every
 * error names the allowed range. `--config FILE` takes these keys as YAML (examples/local-config.yaml); flags
 * override the file. What the service asks for (replicas, SLO, P/D, scale-to-zero-after) comes from the
 * InferenceService's annotations instead (local/service.ts), so the same annotations mean the same thing here.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../src/config.js';
import { isRecord } from '../src/types/kube.js';
import { loadAllBounded, YamlBoundsError } from '../src/yaml-bounded.js';
import { PRESETS } from '../model/presets.js';

export type EngineMode = 'bundled' | 'command' | 'urls';
export type ViewMode = 'auto' | 'tty' | 'plain';

export interface LocalConfig {
  /** InferenceService YAML; empty = examples/local.yaml. */
  file: string;
  gateway: {
    host: string;
    port: number;
    /** Request bodies over this get 413 (a long prompt is a few MB at most). */
    maxBodyBytes: number;
    /** Whole request, buffering included; Knative's default revision timeout is 300 s (kserve-knative.md §4). */
    requestTimeoutMs: number;
    headersTimeoutMs: number;
    /** Receiving one request body, at most: a slow-body client cannot hold a connection for requestTimeoutMs. */
    bodyTimeoutMs: number;
    keepAliveMs: number;
    /** Open client connections, at most (beyond: dropped at once), so a connection flood cannot exhaust fds. */
    maxConnections: number;
  };
  /** Requests held while decode is at zero (EPP flow control / Knative activator role). */
  queue: { capacity: number; timeoutMs: number };
  autoscaler: {
    tickMs: number;
    /** Knative stable and panic windows (60 s / 6 s, kserve-knative.md §4); shorter for tests. */
    stableWindowMs: number;
    panicWindowMs: number;
    scaleDownDelayMs: number;
    /** Overrides kserve-llmd.io/scale-to-zero-after (whose range starts at 30 s); null = the annotation. */
    scaleToZeroAfterMs: number | null;
    /** Profiled prompt tokens/s per prefill replica; null = from the bundled engine model, else the decider default. */
    prefillTokensPerSec: number | null;
  };
  /** How often the router re-reads engines' /metrics (the EPP refreshes every 50 ms, llm-d.md §1). */
  routing: { refreshMs: number };
  engine: {
    mode: EngineMode;
    /** command mode: argv template with {port} (required), {model}, {name}, {role}; no shell. */
    command: string;
    /** urls mode: engines already running, per role. */
    urls: { decode: string[]; prefill: string[] };
    /** Bundled engine: delay before it serves (a real vLLM takes 30 s–minutes, autoscaling.md §7.4). */
    coldStartMs: number;
    preset: string;
    /** Bundled engine capacity: small by default so a laptop demo saturates it with a handful of requests. */
    maxNumSeqs: number;
    kvCapacityTokens: number;
    readyTimeoutMs: number;
    stopGraceMs: number;
    /** Consecutive engines that exit before becoming ready: then the command is broken and we stop. */
    maxStartFailures: number;
    /** A replica removed by scale-down, or the whole system on Ctrl-C/SIGTERM, finishes requests for this long. */
    drainMs: number;
  };
  view: ViewMode;
  /** CloudEvents sink (else $K_SINK; empty = off). */
  sink: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export function defaultLocalConfig(): LocalConfig {
  return {
    file: '',
    gateway: {
      host: '127.0.0.1',
      port: 8080,
      maxBodyBytes: 4 * 2 ** 20,
      requestTimeoutMs: 300_000,
      headersTimeoutMs: 10_000,
      bodyTimeoutMs: 30_000,
      keepAliveMs: 5_000,
      maxConnections: 512,
    },
    queue: { capacity: 256, timeoutMs: 120_000 },
    autoscaler: {
      tickMs: 1_000,
      stableWindowMs: 60_000,
      panicWindowMs: 6_000,
      scaleDownDelayMs: 30_000,
      scaleToZeroAfterMs: null,
      prefillTokensPerSec: null,
    },
    routing: { refreshMs: 100 },
    engine: {
      mode: 'bundled',
      command: '',
      urls: { decode: [], prefill: [] },
      coldStartMs: 2_000,
      preset: 'llama3-8b',
      maxNumSeqs: 8,
      kvCapacityTokens: 65_536,
      readyTimeoutMs: 900_000,
      stopGraceMs: 5_000,
      maxStartFailures: 3,
      drainMs: 30_000,
    },
    view: 'auto',
    sink: '',
    logLevel: 'info',
  };
}

type Check = (v: unknown) => string | undefined;
const int =
  (min: number, max: number): Check =>
  (v) =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max
      ? undefined
      : `must be an integer in [${min}, ${max}]`;
const intOrNull =
  (min: number, max: number): Check =>
  (v) =>
    v === null ? undefined : int(min, max)(v);
const str: Check = (v) => (typeof v === 'string' ? undefined : 'must be a string');
const oneOf =
  (xs: readonly string[]): Check =>
  (v) =>
    typeof v === 'string' && xs.includes(v) ? undefined : `must be one of ${xs.join(', ')}`;
const urls: Check = (v) =>
  Array.isArray(v) && v.every((x) => typeof x === 'string' && /^https?:\/\/[^\s/]+\/?$/.test(x))
    ? undefined
    : 'must be a list of http(s)://host:port URLs';
const sink: Check = (v) =>
  typeof v === 'string' && (v === '' || /^https?:\/\/\S+$/.test(v)) ? undefined : 'must be an http(s) URL or empty';

const CHECKS: Record<string, Check | Record<string, Check | Record<string, Check>>> = {
  file: str,
  view: oneOf(['auto', 'tty', 'plain']),
  sink,
  logLevel: oneOf(['debug', 'info', 'warn', 'error']),
  gateway: {
    host: str,
    port: int(0, 65535),
    maxBodyBytes: int(1024, 256 * 2 ** 20),
    requestTimeoutMs: int(1_000, 3_600_000),
    headersTimeoutMs: int(100, 600_000),
    bodyTimeoutMs: int(100, 3_600_000),
    keepAliveMs: int(100, 600_000),
    maxConnections: int(1, 65_535),
  },
  queue: { capacity: int(0, 100_000), timeoutMs: int(50, 3_600_000) },
  autoscaler: {
    tickMs: int(50, 10_000),
    stableWindowMs: int(500, 3_600_000),
    panicWindowMs: int(100, 3_600_000),
    scaleDownDelayMs: int(0, 3_600_000),
    scaleToZeroAfterMs: intOrNull(100, 86_400_000),
    prefillTokensPerSec: intOrNull(1, 100_000_000),
  },
  routing: { refreshMs: int(10, 10_000) },
  engine: {
    mode: oneOf(['bundled', 'command', 'urls']),
    command: str,
    urls: { decode: urls, prefill: urls },
    coldStartMs: int(0, 3_600_000),
    preset: oneOf(Object.keys(PRESETS)),
    maxNumSeqs: int(1, 4096),
    kvCapacityTokens: int(1024, 100_000_000),
    readyTimeoutMs: int(1_000, 7_200_000),
    stopGraceMs: int(100, 600_000),
    maxStartFailures: int(1, 100),
    drainMs: int(0, 3_600_000),
  },
};

/** Merge `input` over `base`, validating every key; unknown keys are errors (a typo must not be ignored). */
export function parseLocalConfig(input: unknown, base = defaultLocalConfig()): LocalConfig {
  if (input === undefined || input === null) return validateLocalConfig(base);
  if (!isRecord(input)) throw new ConfigError('local config: must be a mapping');
  const errors: string[] = [];
  const out = structuredClone(base) as unknown as Record<string, unknown>;
  merge(out, input, CHECKS, '', errors);
  if (errors.length > 0) throw new ConfigError(`local config: ${errors.join('; ')}`);
  return validateLocalConfig(out as unknown as LocalConfig);
}

function merge(
  out: Record<string, unknown>,
  input: Record<string, unknown>,
  checks: Record<string, unknown>,
  path: string,
  errors: string[],
): void {
  for (const [k, v] of Object.entries(input)) {
    const check = checks[k];
    const at = `${path}${k}`;
    if (!check) errors.push(`${at}: unknown key; known: ${Object.keys(checks).join(', ')}`);
    else if (typeof check === 'function') {
      const e = (check as Check)(v);
      if (e) errors.push(`${at}: ${JSON.stringify(v)} ${e}`);
      else out[k] = v;
    } else if (!isRecord(v)) errors.push(`${at}: must be a mapping`);
    else merge(out[k] as Record<string, unknown>, v, check as Record<string, unknown>, `${at}.`, errors);
  }
}

/** Cross-field rules, after every override is in. */
export function validateLocalConfig(c: LocalConfig): LocalConfig {
  const errors: string[] = [];
  if (c.engine.mode === 'command' && !/\{port\}/.test(c.engine.command))
    errors.push(
      `engine.command must contain {port} (e.g. "vllm serve ` +
        `{model} --port {port} --served-model-name {name}"); ` +
        `got ${JSON.stringify(c.engine.command)}`,
    );
  if (c.engine.mode === 'urls' && c.engine.urls.decode.length === 0)
    errors.push('engine.urls.decode must list at least one URL in urls mode');
  // Node times a request from its first byte; a requestTimeout under headersTimeout fires at headersTimeout.
  if (c.gateway.bodyTimeoutMs < c.gateway.headersTimeoutMs)
    errors.push(
      `gateway.bodyTimeoutMs ${c.gateway.bodyTimeoutMs} must be ≥ headersTimeoutMs ${c.gateway.headersTimeoutMs}`,
    );
  if (c.autoscaler.panicWindowMs > c.autoscaler.stableWindowMs)
    errors.push(
      `autoscaler.panicWindowMs ${c.autoscaler.panicWindowMs} must be ≤ stableWindowMs ${c.autoscaler.stableWindowMs}`,
    );
  if (errors.length > 0) throw new ConfigError(`local config: ${errors.join('; ')}`);
  return c;
}

/** Read a YAML file into a value; a missing or unparsable file is a ConfigError naming it. */
export function readYamlFile(file: string, what: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`${what} ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  try {
    return loadAllBounded(text).filter((d) => d !== null && d !== undefined);
  } catch (err) {
    const message = (err as Error).message.split('\n')[0];
    throw new ConfigError(`${what} ${file}: ${err instanceof YamlBoundsError ? '' : 'not valid YAML: '}${message}`);
  }
}

export function loadLocalConfig(file: string | undefined): LocalConfig {
  if (!file) return defaultLocalConfig();
  const docs = readYamlFile(file, 'local config');
  if (docs.length > 1) throw new ConfigError(`local config ${file}: expected one YAML document, found ${docs.length}`);
  return parseLocalConfig(docs[0]);
}
