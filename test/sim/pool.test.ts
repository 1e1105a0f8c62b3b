/** Worker threads change nothing: the same tasks give the same results in this thread and spread over workers. */
import { LLAMA3_8B } from '../../model/presets.js';
import { runTasks } from '../../bench/sim/pool.js';
import { createRng } from '../../model/rng.js';
import type { Task, TaskConfig } from '../../bench/sim/tasks.js';
import { generateSynthetic, parseSyntheticSpec } from '../../bench/sim/traffic/synthetic.js';

it('runs tasks on worker threads with the results of a sequential run, in task order', async () => {
  const trace = generateSynthetic(parseSyntheticSpec('poisson:rate=3,duration=3m,isl=2000,osl=100'), createRng(2));
  const config: TaskConfig = {
    preset: LLAMA3_8B,
    slo: { ttftMs: 2000, itlMs: 100 },
    router: 'llm-d',
    disaggregated: false,
    pdThresholdTokens: 1024,
    seed: 2,
    maxReplicas: 4,
    windowS: 60,
    attainment: 0.99,
    requests: trace.requests,
    horizonS: trace.durationS,
    warmupS: 60,
    coldStartS: 33,
    scaleToZeroAfterS: 60,
  };
  const tasks: Task[] = [
    { kind: 'policy', name: 'knative-kpa', initial: { decode: 1, prefill: 0 } },
    { kind: 'window', index: 1 },
    { kind: 'window', index: 2 },
  ];
  const strip = (rs: unknown[]): string => JSON.stringify(rs, (k, v: unknown) => (k === 'wallMs' ? 0 : v));
  const sequential = await runTasks(config, tasks, 1);
  const parallel = await runTasks(config, tasks, 2);
  expect(parallel.map((r) => r.kind)).toEqual(['policy', 'window', 'window']);
  expect(strip(parallel)).toBe(strip(sequential));
});
