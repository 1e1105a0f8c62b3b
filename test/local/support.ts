/**
 * Helpers for the local-mode tests: a config with short time constants, a service from inline annotations,
 * and HTTP calls over loopback.
 */
import yaml from 'js-yaml';
import { parseLocalConfig, type LocalConfig } from '../../local/config.js';
import { resolveService, type LocalService } from '../../local/service.js';

/** Short constants: cold start 300 ms, 100 ms ticks, 2 s / 0.5 s windows, zero after 1 s idle. */
export function fastConfig(overrides: Record<string, unknown> = {}): LocalConfig {
  const base = parseLocalConfig({
    view: 'plain',
    logLevel: 'error',
    gateway: { port: 0 },
    queue: { capacity: 64, timeoutMs: 20_000 },
    autoscaler: {
      tickMs: 100,
      stableWindowMs: 2_000,
      panicWindowMs: 500,
      scaleDownDelayMs: 500,
      scaleToZeroAfterMs: 1_000,
    },
    routing: { refreshMs: 50 },
    engine: { coldStartMs: 300, maxNumSeqs: 2, stopGraceMs: 2_000, drainMs: 2_000 },
  });
  return parseLocalConfig(overrides, base);
}

export function serviceYaml(annotations: Record<string, string>, name = 'tiny'): string {
  return yaml.dump({
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name, namespace: 'models', annotations },
    spec: {
      predictor: {
        model: {
          modelFormat: { name: 'vLLM' },
          storageUri: 'hf://meta-llama/Llama-3.1-8B-Instruct',
          resources: { limits: { 'nvidia.com/gpu': '1' } },
        },
      },
    },
  });
}

export function service(annotations: Record<string, string>, cfg: LocalConfig, name = 'tiny'): LocalService {
  return resolveService(yaml.loadAll(serviceYaml(annotations, name)), 'test.yaml', cfg);
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; headers: Headers; json: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    // Generous: a request can wait through an engine launch, 5–10 s when every core is busy.
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = { raw: text };
  }
  return { status: res.status, headers: res.headers, json };
}

/** A prompt of about `tokens` tokens (4 bytes each), distinct per `seed` so no two share a prefix block. */
export function prompt(tokens: number, seed: string): string {
  const unit = `${seed} `;
  return unit.repeat(Math.ceil((tokens * 4) / unit.length)).slice(0, tokens * 4);
}

export function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
