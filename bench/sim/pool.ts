/**
 * Runs benchmark tasks (tasks.ts) on worker threads, each worker taking the next task when it finishes one; with
 * `jobs` ≤ 1, in this thread one after another. Results come back in task order either way, so a run is the same
 * whatever the number of workers. Workers load the TypeScript through tsx when the benchmark itself runs from
 * source (as `npm run bench` does), the compiled JavaScript otherwise.
 */
import { Worker } from 'node:worker_threads';
import { runTask, type Task, type TaskConfig, type TaskResult } from './tasks.js';

const BOOT = `const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) { const { register } = await import(workerData.tsx); register(); }
  await import(workerData.module);
})();`;

function startWorker(config: TaskConfig): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const module = new URL(`./task-worker${fromSource ? '.ts' : '.js'}`, import.meta.url).href;
  const tsx = fromSource ? import.meta.resolve('tsx/esm/api') : '';
  return new Worker(BOOT, { eval: true, workerData: { tsx, module, config } });
}

export async function runTasks(
  config: TaskConfig,
  tasks: readonly Task[],
  jobs: number,
  onResult?: (r: TaskResult) => void,
): Promise<TaskResult[]> {
  const results: TaskResult[] = new Array(tasks.length);
  const { onProgress: _drop, ...plain } = config;
  if (jobs <= 1 || tasks.length <= 1) {
    tasks.forEach((t, i) => {
      results[i] = runTask(plain, t);
      onResult?.(results[i] as TaskResult);
    });
    return results;
  }
  let next = 0;
  const workers = Array.from({ length: Math.min(jobs, tasks.length) }, () => startWorker(plain));
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            let current = -1;
            const feed = (): void => {
              if (next >= tasks.length) return resolve();
              current = next++;
              w.postMessage(tasks[current]);
            };
            w.on('message', (r: TaskResult) => {
              results[current] = r;
              onResult?.(r);
              feed();
            });
            w.on('error', reject);
            w.on('exit', (code) => {
              if (code !== 0) reject(new Error(`benchmark worker exited with code ${code}`));
            });
            feed();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
