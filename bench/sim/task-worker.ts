/** Worker thread body for pool.ts: runs each task it is sent on the shared configuration and posts the result. */
import { parentPort, workerData } from 'node:worker_threads';
import { runTask, type Task, type TaskConfig } from './tasks.js';

const config = (workerData as { config: TaskConfig }).config;
parentPort?.on('message', (t: Task) => parentPort?.postMessage(runTask(config, t)));
