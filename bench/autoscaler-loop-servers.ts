/**
 * Child process of `bench autoscaler-loop`: N loopback HTTP servers, each a pod's vLLM /metrics (the recorded
 * V1 page from test/fixtures/vllm-metrics.txt, ~190 lines with histograms, gauges varied per pod). Kept out
 * of the measured process so its CPU and memory are not the autoscaler's. Sends the ports over IPC; answers
 * 'stats' with its own RSS and CPU time; with a third argument `PASxPODS`, also serves a seeded fake API server
 * (bench/autoscaler-loop-api.ts); exits when the parent disconnects or after BENCH_SERVERS_MAX_MS.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const n = Number(process.argv[2] ?? 4000);
const base = readFileSync(process.argv[3] ?? new URL('../test/fixtures/vllm-metrics.txt', import.meta.url), 'utf8');
const ports: number[] = [];
for (let i = 0; i < n; i++) {
  const kv = ((i * 37) % 100) / 100;
  const page = base
    .replace(/^(vllm:kv_cache_usage_perc\{[^}]*\}) .*$/m, `$1 ${kv}`)
    .replace(/^(vllm:num_requests_waiting\{[^}]*\}) .*$/m, `$1 ${i % 7}`);
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-length': Buffer.byteLength(page) });
    res.end(page);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  ports.push((server.address() as AddressInfo).port);
}
// `--api`: also the fake API server with the PodAutoscalers, Deployments, SKSs and pods for these ports.
const apiArg = process.argv[4];
const api = apiArg
  ? await (
      await import('./autoscaler-loop-api.js')
    ).startBenchApi(Number(apiArg.split('x')[0]), Number(apiArg.split('x')[1]), ports)
  : undefined;
process.send?.({ ports, bytes: Buffer.byteLength(base), apiUrl: api?.url });
// The parent asks for this process's own figures, reported apart from the autoscaler's.
process.on('message', (m) => {
  if (m === 'stats') process.send?.({ rss: process.memoryUsage().rss, cpu: process.cpuUsage() });
});
process.on('disconnect', () => process.exit(0));
// Bounded lifetime: never outlive a benchmark run, even if the parent died without a disconnect.
setTimeout(() => process.exit(0), Number(process.env.BENCH_SERVERS_MAX_MS ?? 15 * 60_000)).unref();
