import { loadTraffic } from '/work/wt/i16-bench/bench/sim/traffic/index.js';
import { runTask, type TaskConfig } from '/work/wt/i16-bench/bench/sim/tasks.js';
import { windowBounds } from '/work/wt/i16-bench/bench/sim/oracle/index.js';
import { LLAMA3_8B } from '/work/wt/i16-bench/bench/sim/presets.js';
const pd = process.argv[2] === 'pd';
const file = process.argv[3] ?? '/work/wt/i16-bench/bench/traces/mooncake_conversation_trace.jsonl';
const trace = await loadTraffic({ file }, { seed: 1 });
const c: TaskConfig = { preset: LLAMA3_8B, slo: { ttftMs: 2000, itlMs: 100 }, router: 'llm-d', disaggregated: pd, pdThresholdTokens: 1024, seed: 1, maxReplicas: 16, windowS: 60, attainment: 0.99, requests: trace.requests, horizonS: trace.durationS, warmupS: 300, coldStartS: 33, scaleToZeroAfterS: 300 };
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const initial = pd ? { decode: 2, prefill: 3 } : { decode: 7, prefill: 0 };
for (const name of (process.argv[4] ?? 'ours,knative-kpa,keda-hpa,llm-d-wva,dynamo-load').split(',').filter(Boolean)) {
  const a = cpu(); runTask(c, { kind: 'policy', name, initial }); console.log(name, Math.round(cpu() - a), 'ms cpu');
}
if (process.argv[5] !== 'nowin') {
  const n = windowBounds(c.requests, c.horizonS, 60).length; let tot = 0; let ev = 0;
  for (let i = 1; i < n; i++) { const a = cpu(); const r = runTask(c, { kind: 'window', index: i }); tot += cpu() - a; if (r.kind === 'window') ev += r.evaluations; }
  console.log('oracle windows', Math.round(tot), 'ms cpu', ev, 'evals');
}
