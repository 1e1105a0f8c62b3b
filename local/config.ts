/**
 * `kserve-llmd local` configuration: typed, parsed and validated once; defaults here and nowhere else; every
 * error names the allowed range. `--config FILE` takes these keys as YAML (examples/local-config.yaml); flags
 * override the file. What the service asks for (replicas, SLO, P/D, scale-to-zero-after) comes from the
 * InferenceService's annotations instead (local/service.ts), so the same annotations mean the same thing here.
 */
import { readFileSync } from 'node:fs';
import {
  ConfigError,
  httpUrl,
  int,
  intOrNull,
  oneOf,
  parseWithSchema,
  problem,
  str,
  throwIfAny,
  type Schema,
} from '../src/config-schema.js';
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

/** Engines already running, by origin (the router appends the paths). */
const origins = (v: unknown): string | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'string' && /^https?:\/\/[^\s/]+\/?$/.test(x))
    ? undefined
    : 'must be a list of http(s)://host:port URLs';

const LOCAL_SCHEMA: Schema = {
  file: str,
  view: oneOf(['auto', 'tty', 'plain']),
  sink: httpUrl(true),
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
    urls: { decode: origins, prefill: origins },
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
  return validateLocalConfig(parseWithSchema('local config', input, base, LOCAL_SCHEMA));
}

/** Cross-field rules, after every override is in. */
export function validateLocalConfig(c: LocalConfig): LocalConfig {
  const problems: string[] = [];
  if (c.engine.mode === 'command' && !/\{port\}/.test(c.engine.command))
    problems.push(
      problem(
        'engine.command',
        c.engine.command,
        'must contain {port} (e.g. "vllm serve {model} --port {port} --served-model-name {name}")',
      ),
    );
  if (c.engine.mode === 'urls' && c.engine.urls.decode.length === 0)
    problems.push(problem('engine.urls.decode', c.engine.urls.decode, 'must list at least one URL in urls mode'));
  // Node times a request from its first byte; a requestTimeout under headersTimeout fires at headersTimeout.
  if (c.gateway.bodyTimeoutMs < c.gateway.headersTimeoutMs)
    problems.push(
      problem(
        'gateway.bodyTimeoutMs',
        c.gateway.bodyTimeoutMs,
        `must be ≥ headersTimeoutMs (${c.gateway.headersTimeoutMs})`,
      ),
    );
  if (c.autoscaler.panicWindowMs > c.autoscaler.stableWindowMs)
    problems.push(
      problem(
        'autoscaler.panicWindowMs',
        c.autoscaler.panicWindowMs,
        `must be ≤ stableWindowMs (${c.autoscaler.stableWindowMs})`,
      ),
    );
  throwIfAny('local config', problems);
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
