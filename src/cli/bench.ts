/**
 * `kserve-llmd bench <name> …`. The benchmarks live in bench/, a tool of the source checkout: the production
 * build leaves it out (tsconfig.build.json; test/build-output.test.ts) and so does the image (.dockerignore).
 * The registry is loaded through a specifier tsc does not follow, so no product module pulls bench/ into the
 * build; where bench/ is absent the command says so in one line.
 */
import { formatHelp, parseFlags, UsageError, type CommandSpec, type FlagValues } from '../cli-args.js';
import type { CliIo } from '../cli-io.js';

export const BENCH_COMMAND: CommandSpec = {
  name: 'bench',
  summary: 'Run a benchmark and print its figures beside a baseline measured in the same run.',
  usage: 'kserve-llmd bench <name> [flags]   (kserve-llmd bench <name> --help)',
  flags: [],
};

/** What bench/registry.ts exports (declared here: a type import would pull bench/ into the build). */
interface BenchRegistry {
  DEFAULT_BENCH: string;
  benchNames(): string[];
  loadBench(
    name: string,
  ): Promise<{ spec: CommandSpec; run(values: FlagValues, rest: string[]): Promise<number> } | undefined>;
}

/** A variable, not a literal: tsc resolves only literal import() specifiers. */
const REGISTRY: string = '../../bench/registry.js';

export const NO_BENCH =
  'benchmarks are not part of this build (the production image leaves bench/ out); ' +
  'run them from a source checkout: npm run bench:<name>';

/** Imports the registry (`importer` is the seam a test uses to stand for a build without bench/). */
export async function loadRegistry(
  importer: (specifier: string) => Promise<unknown> = (s) => import(s),
): Promise<BenchRegistry> {
  try {
    return (await importer(REGISTRY)) as BenchRegistry;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_MODULE_NOT_FOUND' && /bench[\\/]registry/.test(e.message)) throw new UsageError(NO_BENCH);
    throw err;
  }
}

/** `bench [--help] <name> …`: each benchmark parses its own flags. */
export async function runBench(args: string[], io: CliIo): Promise<number> {
  const registry = await loadRegistry();
  if (args[0] === '--help' || args[0] === '-h') {
    io.stdout.write(`${formatHelp(BENCH_COMMAND)}\nBenchmarks: ${registry.benchNames().join(', ')}\n`);
    return 0;
  }
  const name = args[0] === undefined || args[0].startsWith('-') ? registry.DEFAULT_BENCH : args[0];
  const rest = name === args[0] ? args.slice(1) : args;
  const bench = await registry.loadBench(name);
  if (!bench) throw new UsageError(`unknown benchmark "${name}"; benchmarks: ${registry.benchNames().join(', ')}`);
  const parsed = parseFlags(rest, bench.spec);
  if (parsed.help) {
    io.stdout.write(`${formatHelp(bench.spec)}\n`);
    return 0;
  }
  return bench.run(parsed.values, parsed.rest);
}
