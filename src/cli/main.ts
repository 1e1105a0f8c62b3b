/**
 * `kserve-llmd`: one binary, one subcommand per component. Usage errors and bad configuration are one line
 * on stderr and exit code 2; runtime failures exit 1.
 */
import { ConfigError } from '../config.js';
import { RENDER_COMMAND, runRender, runWebhook, WEBHOOK_COMMAND } from '../../webhooks/commands.js';
import { benchNames, DEFAULT_BENCH, loadBench } from '../../bench/registry.js';
import { CONTROLLER_COMMAND, runController } from '../../controller/main.js';
import { AUTOSCALER_COMMAND, runAutoscalerCommand } from '../../autoscaler/command.js';
import { LOCAL_COMMAND, runLocalCommand } from '../../local/command.js';
import { formatHelp, parseFlags, UsageError, type CommandSpec, type FlagValues } from './args.js';

interface Command {
  spec: CommandSpec;
  raw?: boolean;
  run(values: FlagValues, rest: string[]): Promise<number | void> | number | void;
}

const BENCH_COMMAND: CommandSpec = {
  name: 'bench',
  summary: 'Run a benchmark and print its figures beside a baseline measured in the same run.',
  usage: 'kserve-llmd bench <name> [flags]   (kserve-llmd bench <name> --help)',
  flags: [],
};

/** `bench <name> …`: each benchmark parses its own flags. */
async function runBench(args: string[]): Promise<number> {
  const name = args[0] === undefined || args[0].startsWith('-') ? DEFAULT_BENCH : args[0];
  const rest = name === args[0] ? args.slice(1) : args;
  const bench = await loadBench(name);
  if (!bench) throw new UsageError(`unknown benchmark "${name}"; benchmarks: ${benchNames().join(', ')}`);
  const parsed = parseFlags(rest, bench.spec);
  if (parsed.help) {
    process.stdout.write(`${formatHelp(bench.spec)}\n`);
    return 0;
  }
  return bench.run(parsed.values, parsed.rest);
}

/** Each subcommand; `raw` commands get their arguments unparsed. To add one: one entry here. */
const COMMANDS: Command[] = [
  { spec: WEBHOOK_COMMAND, run: (v) => runWebhook(v) },
  { spec: RENDER_COMMAND, run: (v, rest) => runRender(v, rest) },
  { spec: BENCH_COMMAND, raw: true, run: (_v, rest) => runBench(rest) },
  { spec: LOCAL_COMMAND, run: (v) => runLocalCommand(v) },
  { spec: CONTROLLER_COMMAND, run: (v) => runController(v) },
  { spec: AUTOSCALER_COMMAND, run: (v) => runAutoscalerCommand(v) },
];

function topHelp(): string {
  return [
    'Usage: kserve-llmd <command> [flags]',
    '',
    'llm-d routing, prefill/decode disaggregation, KV offload and autoscaling for KServe InferenceServices.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(10)} ${c.spec.summary.split('. ')[0]}`),
    '',
    'Run kserve-llmd <command> --help for its flags.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${topHelp()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.spec.name === name);
  try {
    if (!command) throw new UsageError(`unknown command "${name}"; commands: ${COMMANDS.map((c) => c.spec.name).join(', ')}`);
    if (command.raw) {
      if (args[0] === '--help' || args[0] === '-h') {
        process.stdout.write(`${formatHelp(command.spec)}\nBenchmarks: ${benchNames().join(', ')}\n`);
        return 0;
      }
      const code = await command.run({}, args);
      return typeof code === 'number' ? code : 0;
    }
    const { values, help, rest } = parseFlags(args, command.spec);
    if (help) {
      process.stdout.write(`${formatHelp(command.spec)}\n`);
      return 0;
    }
    const code = await command.run(values, rest);
    return typeof code === 'number' ? code : -1;
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      process.stderr.write(`kserve-llmd${command ? ` ${command.spec.name}` : ''}: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`kserve-llmd${command ? ` ${command.spec.name}` : ''}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

// -1: a long-running command (the webhook server) keeps the process alive; anything else exits.
const code = await main(process.argv.slice(2));
if (code !== -1) process.exitCode = code;
