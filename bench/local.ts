/**
 * `kserve-llmd bench local`: what the local gateway adds to a request. The same bundled engine (in process,
 * generating 1 token) is called directly (baseline) and through the gateway (llm-d scoring, prefix hashing,
 * proxying with undici), closed loop at rising concurrency; latency percentiles and throughput side by side.
 */
import yaml from 'js-yaml';
import { Agent, request } from 'undici';
import { silentLogger } from '../src/log.js';
import { parseLocalConfig } from '../local/config.js';
import { bundledPreset } from '../local/engine/preset.js';
import { EngineServer } from '../local/engine/server.js';
import { startLocal } from '../local/run.js';
import { resolveService } from '../local/service.js';
import type { BenchEntry } from './registry.js';

async function closedLoop(
  url: string,
  concurrency: number,
  durationMs: number,
): Promise<{ rps: number; p50: number; p99: number }> {
  const agent = new Agent({ connections: concurrency, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const body = JSON.stringify({
    model: 'bench',
    prompt: 'The quick brown fox jumps over the lazy dog. '.repeat(20),
    max_tokens: 1,
  });
  const lat: number[] = [];
  const end = Date.now() + durationMs;
  const worker = async (): Promise<void> => {
    while (Date.now() < end) {
      const t = performance.now();
      const res = await request(`${url}/v1/completions`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
        dispatcher: agent,
      });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
      lat.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await agent.close();
  lat.sort((a, b) => a - b);
  const q = (p: number): number => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
  return { rps: lat.length / (durationMs / 1000), p50: q(0.5), p99: q(0.99) };
}

export const LOCAL_BENCH: BenchEntry = {
  spec: {
    name: 'bench local',
    summary:
      'Requests through the local gateway vs straight to the same bundled engine (1-token completions), closed loop.',
    usage: 'kserve-llmd bench local [--duration-ms 3000] [--concurrency 1,8,32]',
    flags: [
      { name: 'duration-ms', type: 'int', help: 'duration of each step', default: 3000, min: 200, max: 120_000 },
      { name: 'concurrency', type: 'string', help: 'comma-separated client counts', default: '1,8,32' },
    ],
  },
  async run(values) {
    const concurrencies = String(values.concurrency)
      .split(',')
      .map((s) => Number(s.trim()));
    const engine = new EngineServer({
      name: 'bench',
      preset: bundledPreset('bench', { preset: 'llama3-8b', maxNumSeqs: 256, kvCapacityTokens: 400_000 }),
      host: '127.0.0.1',
      port: 0,
    });
    const enginePort = await engine.listen();
    const cfg = parseLocalConfig({
      view: 'plain',
      gateway: { port: 0 },
      engine: { mode: 'urls', urls: { decode: [`http://127.0.0.1:${enginePort}`], prefill: [] } },
    });
    const isvc = {
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 'bench', annotations: { 'kserve-llmd.io/decode-replicas': '1-1' } },
      spec: { predictor: { model: { modelFormat: { name: 'vLLM' } } } },
    };
    const h = await startLocal(cfg, resolveService(yaml.loadAll(yaml.dump(isvc)), 'bench', cfg), silentLogger);
    try {
      for (let i = 0; i < 100 && h.supervisor.ready('decode').length === 0; i++)
        await new Promise((r) => setTimeout(r, 50));
      const out = (s: string): boolean => process.stdout.write(`${s}\n`);
      out(
        `${'clients'.padEnd(8)}` +
          `${'direct rps'.padStart(12)}` +
          `${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}` +
          `${'gateway rps'.padStart(13)}` +
          `${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}` +
          `${'added p50'.padStart(11)}`,
      );
      for (const c of concurrencies) {
        const d = await closedLoop(`http://127.0.0.1:${enginePort}`, c, Number(values['duration-ms']));
        const g = await closedLoop(h.url, c, Number(values['duration-ms']));
        out(
          `${String(c).padEnd(8)}` +
            `${d.rps.toFixed(0).padStart(12)}` +
            `${d.p50.toFixed(2).padStart(9)}` +
            `${d.p99.toFixed(2).padStart(9)}` +
            `${g.rps.toFixed(0).padStart(13)}` +
            `${g.p50.toFixed(2).padStart(9)}` +
            `${g.p99.toFixed(2).padStart(9)}` +
            `${(g.p50 - d.p50).toFixed(2).padStart(11)}`,
        );
      }
    } finally {
      await h.stop();
      await engine.close();
    }
    return 0;
  },
};
