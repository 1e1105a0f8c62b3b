/**
 * Where a new engine replica comes from, per engine mode: the bundled engine as a child process of this same
 * node, a user command (e.g. `vllm serve {model} --port {port}`) run without a shell, or a fixed list of URLs
 * of engines that already run (no process: "starting" one means waiting for its /health).
 */
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeciderRole } from '../autoscaler/decider/types.js';
import { ConfigError } from '../src/config.js';
import type { LocalConfig } from './config.js';
import type { LocalService } from './service.js';

export interface LaunchPlan {
  url: string;
  /** argv of the process to run; absent for an engine that already runs (urls mode). */
  argv?: string[];
}

export interface EngineLauncher {
  /** Most replicas this launcher can provide for a role. */
  limit(role: DeciderRole): number;
  next(role: DeciderRole, inUse: ReadonlySet<string>): Promise<LaunchPlan>;
}

/** A port the OS says is free now (bound to port 0, then released). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** The engine entry next to this file: the .ts source through tsx from a checkout, the .js when compiled. */
function engineArgv(): string[] {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return [process.execPath, '--import', 'tsx', join(here, '..', 'engine', 'main.ts')];
  return [process.execPath, join(here, '..', 'engine', 'main.js')];
}

export function bundledLauncher(service: LocalService, cfg: LocalConfig): EngineLauncher {
  const e = cfg.engine;
  return {
    limit: () => Infinity,
    async next() {
      const port = await freePort();
      return {
        url: `http://127.0.0.1:${port}`,
        argv: [
          ...engineArgv(),
          '--port',
          String(port),
          '--name',
          service.name,
          '--preset',
          e.preset,
          '--max-num-seqs',
          String(e.maxNumSeqs),
          '--kv-capacity-tokens',
          String(e.kvCapacityTokens),
          '--cold-start-ms',
          String(e.coldStartMs),
        ],
      };
    },
  };
}

/** Split a command template into argv: whitespace separates, single or double quotes group. No shell. */
export function splitCommand(template: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(template); m; m = re.exec(template)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

/** argv[0] must exist: on PATH, or as a path. Checked once at startup so a typo fails fast with one line. */
export function checkExecutable(cmd: string, path = process.env.PATH ?? ''): void {
  const candidates =
    cmd.includes('/') || isAbsolute(cmd)
      ? [cmd]
      : path
          .split(delimiter)
          .filter(Boolean)
          .map((d) => join(d, cmd));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return;
    } catch {
      // next candidate
    }
  }
  throw new ConfigError(
    `engine command "${cmd}" not found${cmd.includes('/') ? '' : ' on PATH'} (engine.command / --engine-command)`,
  );
}

export function commandLauncher(service: LocalService, template: string): EngineLauncher {
  const parts = splitCommand(template);
  checkExecutable(parts[0] ?? '');
  return {
    limit: () => Infinity,
    async next(role) {
      const port = await freePort();
      const vars: Record<string, string> = { port: String(port), model: service.model, name: service.name, role };
      return {
        url: `http://127.0.0.1:${port}`,
        argv: parts.map((p) => p.replace(/\{(port|model|name|role)\}/g, (_m, k: string) => vars[k] as string)),
      };
    },
  };
}

export function urlsLauncher(urls: { decode: string[]; prefill: string[] }): EngineLauncher {
  const clean = (xs: string[]): string[] => xs.map((u) => u.replace(/\/$/, ''));
  const byRole = { decode: clean(urls.decode), prefill: clean(urls.prefill) };
  return {
    limit: (role) => byRole[role].length,
    async next(role, inUse) {
      const url = byRole[role].find((u) => !inUse.has(u));
      if (!url) throw new Error(`no free ${role} URL (all ${byRole[role].length} in use)`);
      return { url };
    },
  };
}

export function launcherFor(service: LocalService, cfg: LocalConfig): EngineLauncher {
  if (cfg.engine.mode === 'command') return commandLauncher(service, cfg.engine.command);
  if (cfg.engine.mode === 'urls') return urlsLauncher(cfg.engine.urls);
  return bundledLauncher(service, cfg);
}
