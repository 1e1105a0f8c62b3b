/**
 * `kserve-llmd`: one binary, one subcommand per component. Usage errors and bad configuration are one line
 * on stderr and exit code 2; runtime failures exit 1.
 */
import { ConfigError } from '../config.js';
import { BENCH_COMMAND, runBench } from './bench.js';
import { formatHelp, parseFlags, UsageError, type CommandSpec, type FlagValues } from '../cli-args.js';
import { processIo, type CliIo } from '../cli-io.js';

interface Command {
  spec: CommandSpec;
  raw?: boolean;
  run(values: FlagValues, rest: string[], io: CliIo): Promise<number | void> | number | void;
}

interface CommandEntry {
  name: string;
  summary: string;
  /**
   * Imported only when the command runs: each component loads only its own dependencies (the autoscaler's
   * resident memory is a benchmark goal), and every CLI start stays fast.
   */
  load(): Promise<Command>;
}

/** Each subcommand; `raw` commands get their arguments unparsed. To add one: one entry here. */
const COMMANDS: CommandEntry[] = [
  {
    name: 'webhook',
    summary: 'Serve the mutating admission webhooks over HTTPS',
    load: async () => {
      const m = await import('../../webhooks/commands.js');
      return { spec: m.WEBHOOK_COMMAND, run: (v, _rest, io) => m.runWebhook(v, io) };
    },
  },
  {
    name: 'render',
    summary: 'Apply the InferenceService mutation to YAML documents and print the result',
    load: async () => {
      const m = await import('../../render/command.js');
      return { spec: m.RENDER_COMMAND, run: (v, rest, io) => m.runRender(v, rest, io) };
    },
  },
  {
    name: 'bench',
    summary: BENCH_COMMAND.summary,
    load: async () => ({ spec: BENCH_COMMAND, raw: true, run: (_v, rest, io) => runBench(rest, io) }),
  },
  {
    name: 'local',
    summary: 'Run the whole system on this machine',
    load: async () => {
      const m = await import('../../local/command.js');
      return { spec: m.LOCAL_COMMAND, run: (v, _rest, io) => m.runLocalCommand(v, io) };
    },
  },
  {
    name: 'controller',
    summary: 'Run the routing controller',
    load: async () => {
      const m = await import('../../controller/main.js');
      return { spec: m.CONTROLLER_COMMAND, run: (v, _rest, io) => m.runController(v, io) };
    },
  },
  {
    name: 'autoscaler',
    summary: 'Run the PodAutoscaler class autoscaler.kserve-llmd.io',
    load: async () => {
      const m = await import('../../autoscaler/command.js');
      return { spec: m.AUTOSCALER_COMMAND, run: (v, _rest, io) => m.runAutoscalerCommand(v, io) };
    },
  },
];

function topHelp(): string {
  return [
    'Usage: kserve-llmd <command> [flags]',
    '',
    'llm-d routing, prefill/decode disaggregation, KV offload and autoscaling for KServe InferenceServices.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`),
    '',
    'Run kserve-llmd <command> --help for its flags.',
  ].join('\n');
}

/**
 * Runs one command line and returns its exit code, or -1 when a long-running command (a server) keeps going and
 * ends the process itself: controller, autoscaler through `io.exit`; the webhook through its own signal handlers
 * (webhooks/server.ts, on the process). Nothing runs on import: src/cli/entry.ts (the binary's entry) calls it
 * with the process, tests with fakes.
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${topHelp()}\n`);
    return name === undefined ? 2 : 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  const prefix = `kserve-llmd${entry ? ` ${entry.name}` : ''}`;
  try {
    if (!entry) throw new UsageError(`unknown command "${name}"; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    return await runCommand(await entry.load(), args, io);
  } catch (err) {
    const usage = err instanceof UsageError || err instanceof ConfigError;
    io.stderr.write(`${prefix}: ${err instanceof Error ? err.message : String(err)}\n`);
    return usage ? 2 : 1;
  }
}

async function runCommand(command: Command, args: string[], io: CliIo): Promise<number> {
  if (command.raw) {
    const code = await command.run({}, args, io);
    return typeof code === 'number' ? code : 0;
  }
  const { values, help, rest } = parseFlags(args, command.spec);
  if (help) {
    io.stdout.write(`${formatHelp(command.spec)}\n`);
    return 0;
  }
  const code = await command.run(values, rest, io);
  return typeof code === 'number' ? code : -1;
}
