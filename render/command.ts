/**
 * `kserve-llmd render`: composition of the webhook's InferenceService mutation, the pod webhook's preview and the
 * controller's objects, so it lives above those components (README "Layout").
 */
import { readFileSync } from 'node:fs';
import { UsageError, type CommandSpec, type FlagValues } from '../src/cli-args.js';
import { processIo, type CliIo } from '../src/cli-io.js';
import {
  defaultControllerConfig,
  GATEWAY_IMPLEMENTATIONS,
  validateControllerConfig,
  type GatewayImplementation,
} from '../controller/config.js';
import { CONFIG_FLAGS, resolveConfig } from '../webhooks/commands.js';
import { renderManifests } from './render.js';

export const RENDER_COMMAND: CommandSpec = {
  name: 'render',
  summary:
    'Apply the InferenceService mutation to YAML documents and ' +
    "print the result, with what each role's pods get as " +
    'comments. Exits 1 when an annotation is invalid.',
  usage: 'kserve-llmd render -f FILE|- [--config FILE] [--gateway-implementation IMPL]',
  flags: [
    {
      name: 'filename',
      alias: 'f',
      type: 'string',
      help: 'YAML file with one or more documents, or - for standard input',
    },
    {
      name: 'gateway-implementation',
      type: 'string',
      help: "as the controller's flag: also print the gateway's objects (istio: DestinationRule; gke: policies)",
      choices: [...GATEWAY_IMPLEMENTATIONS],
    },
    ...CONFIG_FLAGS,
  ],
};

export function runRender(values: FlagValues, rest: string[], io: CliIo = processIo()): number {
  if (rest.length > 0) throw new UsageError(`unexpected argument ${rest[0]} (use -f FILE)`);
  const file = values.filename;
  if (typeof file !== 'string') throw new UsageError('-f FILE or -f - is required');
  const config = resolveConfig(values);
  let text: string;
  try {
    text = file === '-' ? io.readStdin() : readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const impl = values['gateway-implementation'];
  const controller = validateControllerConfig({
    ...defaultControllerConfig(),
    webhook: config,
    ...(typeof impl === 'string' ? { gatewayImplementation: impl as GatewayImplementation } : {}),
  });
  const result = renderManifests(text, config, file === '-' ? 'stdin' : file, controller);
  for (const w of result.warnings) io.stderr.write(`kserve-llmd render: warning: ${w}\n`);
  for (const e of result.errors) io.stderr.write(`kserve-llmd render: ${e}\n`);
  io.stdout.write(result.output);
  return result.errors.length > 0 ? 1 : 0;
}
