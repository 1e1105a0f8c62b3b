/**
 * `kserve-llmd bench <name> [flags]`: one entry per benchmark (npm run bench:<name> calls it).
 * `kserve-llmd bench --trace FILE …` (no name) runs the trace-driven autoscaler benchmark.
 * To add a benchmark: one file exporting a BenchEntry, one line in BENCHES.
 */
import type { CommandSpec, FlagValues } from '../src/cli-args.js';

export interface BenchEntry {
  spec: CommandSpec;
  /** Runs the benchmark, printing its table; resolves to the exit code. */
  run(values: FlagValues, rest: string[]): Promise<number>;
}

const loaders: Record<string, () => Promise<BenchEntry>> = {
  webhook: async () => (await import('./webhook-command.js')).WEBHOOK_BENCH,
  controller: async () => (await import('./controller.js')).CONTROLLER_BENCH,
  trace: async () => (await import('./trace.js')).TRACE_BENCH,
  'autoscaler-loop': async () => (await import('./autoscaler-loop.js')).AUTOSCALER_LOOP_BENCH,
  local: async () => (await import('./local.js')).LOCAL_BENCH,
};

/** The default benchmark when the first argument is a flag. */
export const DEFAULT_BENCH = 'trace';

export function benchNames(): string[] {
  return Object.keys(loaders);
}

export async function loadBench(name: string): Promise<BenchEntry | undefined> {
  const load = loaders[name];
  return load ? load() : undefined;
}
