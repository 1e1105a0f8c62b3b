/**
 * The `autoscaler` subcommand's flags, kept apart from main.ts so the CLI loads the Kubernetes client and
 * informers only when the autoscaler actually runs.
 */
import type { CommandSpec, FlagValues } from '../src/cli-args.js';
import type { CliIo } from '../src/cli-io.js';
import { AUTOSCALER_CLASS } from '../core/names.js';

export const AUTOSCALER_COMMAND: CommandSpec = {
  name: 'autoscaler',
  summary:
    `Scale prefill and decode independently on queue and ` +
    `KV-cache pressure, down to zero and back: reconciles ` +
    `Knative PodAutoscalers of class ${AUTOSCALER_CLASS} (or ` +
    `predictor Deployments in Standard mode).`,
  usage: 'kserve-llmd autoscaler [--config FILE] [--kubeconfig FILE] [--namespace NS] [--mode Knative|Standard]',
  flags: [
    { name: 'config', type: 'string', help: 'YAML config file (docs/autoscaler.md lists every key)' },
    {
      name: 'kubeconfig',
      type: 'string',
      help: 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster)',
    },
    { name: 'namespace', type: 'string', help: 'watch one namespace (default: all)' },
    {
      name: 'mode',
      type: 'string',
      help: 'Knative: PodAutoscalers of our class; Standard: predictor Deployments',
      choices: ['Knative', 'Standard'],
    },
    { name: 'tick-ms', type: 'int', help: 'decision interval in ms', min: 100, max: 10_000 },
    { name: 'sink', type: 'string', help: 'CloudEvents sink URL (default: $K_SINK)' },
    { name: 'metrics-port', type: 'int', help: 'port for /metrics and /healthz', min: 0, max: 65535 },
    { name: 'leader-election', type: 'bool', help: 'elect a leader on a Lease (set =false for a single replica)' },
    { name: 'log-level', type: 'string', help: 'log level', choices: ['debug', 'info', 'warn', 'error'] },
  ],
};

/** Long-running: resolves -1 so the CLI keeps the process alive. */
export async function runAutoscalerCommand(values: FlagValues, io?: CliIo): Promise<number> {
  const { runAutoscaler } = await import('./main.js');
  await runAutoscaler(values, io);
  return -1;
}
