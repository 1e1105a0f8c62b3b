/**
 * Child-process entry of the bundled engine (what the local supervisor spawns, one per replica):
 *   node --import tsx local/engine/main.ts --port N --name MODEL [--cold-start-ms N] [--preset ID] …
 * It waits out the cold start, then serves; it exits on SIGTERM/SIGINT, and when its stdin closes (the parent
 * is gone), so no engine outlives the `kserve-llmd local` that started it.
 */
import { formatHelp, parseFlags, UsageError, type CommandSpec } from '../../src/cli-args.js';
import { PRESETS } from '../../model/presets.js';
import { bundledPreset } from './preset.js';
import { EngineServer } from './server.js';

export const ENGINE_COMMAND: CommandSpec = {
  name: 'local-engine',
  summary: 'The bundled vLLM-compatible engine (engine model timing, vLLM /metrics names).',
  usage: 'node --import tsx local/engine/main.ts --port N --name MODEL [flags]',
  flags: [
    { name: 'port', type: 'int', min: 0, max: 65535, help: 'port to serve on', default: 8000 },
    { name: 'host', type: 'string', help: 'address to bind', default: '127.0.0.1' },
    { name: 'name', type: 'string', help: 'served model name', default: 'model' },
    {
      name: 'preset',
      type: 'string',
      help: 'engine model preset',
      default: 'llama3-8b',
      choices: Object.keys(PRESETS),
    },
    { name: 'max-num-seqs', type: 'int', min: 1, max: 4096, help: 'vLLM --max-num-seqs', default: 8 },
    {
      name: 'kv-capacity-tokens',
      type: 'int',
      min: 1024,
      max: 100_000_000,
      help: 'KV cache size in tokens',
      default: 65_536,
    },
    {
      name: 'cold-start-ms',
      type: 'int',
      min: 0,
      max: 3_600_000,
      help: 'delay before serving (model load)',
      default: 0,
    },
  ],
};

async function main(argv: string[]): Promise<number> {
  const { values, help } = parseFlags(argv, ENGINE_COMMAND);
  if (help) {
    process.stdout.write(`${formatHelp(ENGINE_COMMAND)}\n`);
    return 0;
  }
  const name = values.name as string;
  const preset = bundledPreset(name, {
    preset: values.preset as string,
    maxNumSeqs: values['max-num-seqs'] as number,
    kvCapacityTokens: values['kv-capacity-tokens'] as number,
  });
  const live: { server?: EngineServer; stopping: boolean } = { stopping: false };
  const stop = (code: number): void => {
    if (live.stopping) return;
    live.stopping = true;
    void (live.server?.close() ?? Promise.resolve()).finally(() => process.exit(code));
  };
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));
  process.stdin
    .on('end', () => stop(0))
    .on('close', () => stop(0))
    .resume();
  await new Promise((resolve) => setTimeout(resolve, values['cold-start-ms'] as number));
  if (live.stopping) return 0;
  const server = new EngineServer({ name, preset, host: values.host as string, port: values.port as number });
  live.server = server;
  const port = await server.listen();
  process.stdout.write(
    `engine ${name} serving on ` +
      `http://${values.host as string}:${port} ` +
      `(preset ${preset.id}, max-num-seqs ${preset.maxNumSeqs})\n`,
  );
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== -1) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(
      `local-engine: ${err instanceof UsageError || err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
