/**
 * `kserve-llmd local`: the whole system on one machine (what `npm start` runs). Exit codes: 0 after Ctrl-C or
 * SIGTERM (everything started is stopped); 2 for a usage or configuration error (missing or invalid YAML, a
 * service the webhook would deny, an engine command not found); 1 for a runtime failure (the gateway port is
 * in use, the engine command keeps dying before it is ready). Each failure is one line on stderr.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CommandSpec, FlagValues } from '../src/cli-args.js';
import { createLogger, isLogLevel } from '../src/log.js';
import { loadLocalConfig, readYamlFile, validateLocalConfig, type LocalConfig } from './config.js';
import { ListenError } from './http.js';
import { startLocal } from './run.js';
import { resolveService } from './service.js';
import { RecentLog, TerminalView } from './view.js';

export const LOCAL_COMMAND: CommandSpec = {
  name: 'local',
  summary:
    'Run the whole system on this machine: OpenAI-compatible ' +
    'gateway with llm-d routing, scale to zero, P/D autoscaling, ' +
    'engines as processes. Ctrl-C stops everything.',
  usage: 'kserve-llmd local [-f INFERENCESERVICE.yaml] [--config LOCAL.yaml] [flags]',
  flags: [
    {
      name: 'file',
      alias: 'f',
      type: 'string',
      help: 'InferenceService YAML (its kserve-llmd.io annotations apply); default examples/local.yaml',
    },
    {
      name: 'config',
      alias: 'c',
      type: 'string',
      help: 'local settings YAML (examples/local-config.yaml lists every key)',
    },
    { name: 'host', type: 'string', help: 'gateway address (default 127.0.0.1)' },
    { name: 'port', alias: 'p', type: 'int', min: 0, max: 65535, help: 'gateway port (default 8080)' },
    {
      name: 'engine-command',
      type: 'string',
      help:
        'run real engines: argv template with {port}, {model}, ' +
        '{name}, {role}, e.g. "vllm serve {model} --port {port} ' +
        '--served-model-name {name}"',
    },
    { name: 'decode-urls', type: 'string', help: 'use engines already running: comma-separated decode URLs' },
    { name: 'prefill-urls', type: 'string', help: 'with --decode-urls: comma-separated prefill URLs' },
    {
      name: 'cold-start-ms',
      type: 'int',
      min: 0,
      max: 3_600_000,
      help: 'bundled engine: delay before it serves (default 2000)',
    },
    {
      name: 'view',
      type: 'string',
      choices: ['auto', 'tty', 'plain'],
      help: 'live view on a TTY, log lines otherwise (default auto)',
    },
    {
      name: 'log-level',
      type: 'string',
      choices: ['debug', 'info', 'warn', 'error'],
      help: 'log level (default info)',
    },
  ],
};

/** examples/local.yaml from a checkout (local/…) or a compiled tree (dist/local/…). */
export function defaultServiceFile(): string {
  const candidates = ['../examples/local.yaml', '../../examples/local.yaml'].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  return candidates.find((p) => existsSync(p)) ?? (candidates[0] as string);
}

export function applyFlags(base: LocalConfig, v: FlagValues): LocalConfig {
  const c = structuredClone(base);
  if (typeof v.file === 'string') c.file = v.file;
  if (typeof v.host === 'string') c.gateway.host = v.host;
  if (typeof v.port === 'number') c.gateway.port = v.port;
  if (typeof v['cold-start-ms'] === 'number') c.engine.coldStartMs = v['cold-start-ms'];
  if (typeof v.view === 'string') c.view = v.view as LocalConfig['view'];
  if (isLogLevel(v['log-level'])) c.logLevel = v['log-level'];
  if (typeof v['engine-command'] === 'string') {
    c.engine.mode = 'command';
    c.engine.command = v['engine-command'];
  }
  const list = (x: unknown): string[] =>
    String(x)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (typeof v['decode-urls'] === 'string') {
    c.engine.mode = 'urls';
    c.engine.urls = {
      decode: list(v['decode-urls']),
      prefill: typeof v['prefill-urls'] === 'string' ? list(v['prefill-urls']) : [],
    };
  }
  return validateLocalConfig(c);
}

export interface LocalIo {
  stdout: Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean; columns?: number };
  stderr: Pick<NodeJS.WriteStream, 'write'>;
  /** Where SIGINT/SIGTERM arrive (the process; tests pass their own emitter). */
  signals: Pick<NodeJS.EventEmitter, 'once' | 'off'>;
}

export async function runLocalCommand(
  v: FlagValues,
  io: LocalIo = { stdout: process.stdout, stderr: process.stderr, signals: process },
): Promise<number> {
  const cfg = applyFlags(loadLocalConfig(typeof v.config === 'string' ? v.config : undefined), v);
  const file = cfg.file || defaultServiceFile();
  const service = resolveService(readYamlFile(file, 'InferenceService'), file, cfg);
  const tty = cfg.view === 'tty' || (cfg.view === 'auto' && io.stdout.isTTY === true);
  const recent = new RecentLog();
  const logger = createLogger({ level: cfg.logLevel, stream: tty ? recent : io.stdout }).child({ component: 'local' });
  for (const w of service.warnings) logger.warn(w);
  let handle;
  try {
    handle = await startLocal(cfg, service, logger);
  } catch (err) {
    if (err instanceof ListenError) {
      io.stderr.write(`kserve-llmd local: gateway ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const h = handle;
  let onSignalCleanup = (): void => undefined;
  logger.info('gateway listening', {
    url: h.url,
    model: service.name,
    engines: cfg.engine.mode,
    disaggregated: service.disaggregated,
    try:
      `curl ${h.url}/v1/completions -H 'content-type: ` +
      `application/json' -d ` +
      `'{"model":"${service.name}","prompt":"Hello","max_tokens":32}'`,
  });
  const view = tty ? new TerminalView(io.stdout, () => h.snapshot(recent.lines)) : undefined;
  view?.start();
  const outcome = await new Promise<{ code: number; message?: string }>((resolve) => {
    const stop = (): void => resolve({ code: 0 });
    io.signals.once('SIGINT', stop);
    io.signals.once('SIGTERM', stop);
    void h.fatal.then((err) => resolve({ code: 1, message: err.message }));
    onSignalCleanup = () => {
      io.signals.off('SIGINT', stop);
      io.signals.off('SIGTERM', stop);
    };
  });
  onSignalCleanup();

  view?.stop();
  logger.info('stopping: answering queued requests, stopping engines');
  await h.stop();
  if (outcome.message) io.stderr.write(`kserve-llmd local: ${outcome.message}\n`);
  return outcome.code;
}
