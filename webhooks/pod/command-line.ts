/**
 * What a container's command line lets the pod webhook do. vLLM flags can only be added by appending to `args`
 * when those args reach vLLM itself: a shell entrypoint (`sh -c SCRIPT`, `bash` with `-c` in args,
 * `/usr/bin/env bash -c …`) takes its script from one argument and hands later arguments to the script as
 * `$0 $1 …`, where nothing reads them. Such a pod is left as its author wrote it (no flags, no port move, no
 * sidecar) and the webhook says so; the annotations then describe where vLLM really listens.
 */
import type { Container } from '../../src/types/kube.js';

/** Shells whose `-c`/script argument convention swallows appended arguments. */
const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ash', 'ksh', 'mksh', 'busybox']);
/** env(1) options that take a value as the next argument (GNU coreutils env). */
const ENV_OPTIONS_WITH_VALUE = new Set(['-u', '--unset', '-C', '--chdir']);
/** vLLM's own default `--port` (vllm/entrypoints/openai/cli_args.py, `port: int = 8000`). */
export const VLLM_DEFAULT_PORT = 8000;

const basename = (p: string): string => p.split('/').pop() ?? p;

/**
 * The program a command line runs: the first word, or after `env [OPTIONS] [NAME=VALUE]…` the program env runs.
 * Undefined when it cannot be told (env -S, which splits a string into a new command line).
 */
export function programOf(argv: readonly string[]): string | undefined {
  if (argv.length === 0) return undefined;
  if (basename(argv[0] as string) !== 'env') return basename(argv[0] as string);
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '-S' || a.startsWith('--split-string') || (a.startsWith('-S') && a.length > 2)) return undefined;
    if (ENV_OPTIONS_WITH_VALUE.has(a)) i++;
    else if (!a.startsWith('-') && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(a)) return basename(a);
  }
  return undefined;
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/**
 * Why vLLM's arguments cannot be extended safely, or undefined when appending to `args` reaches vLLM. Only
 * `command` is judged: without one, `args` go to the image's entrypoint (`vllm serve` in vLLM's images).
 */
export function argsBlockedReason(main: Container): string | undefined {
  const { command, args } = main as { command?: unknown; args?: unknown };
  if ((command !== undefined && !isStringArray(command)) || (args !== undefined && !isStringArray(args)))
    return `container ${String(main.name)} has a command or args that are not lists of strings`;
  const argv = command ?? [];
  if (argv.length === 0) return undefined;
  const program = programOf(argv);
  if (program === undefined)
    return (
      `container ${main.name} runs \`${argv.join(' ')}\`, whose program cannot be told, ` +
      'so vLLM flags cannot be added'
    );
  if (SHELLS.has(program))
    return (
      `container ${main.name} runs a shell (${argv.join(' ')}); arguments appended after its script would not ` +
      'reach vLLM, so vLLM flags cannot be added'
    );
  return undefined;
}

/** `--port N` / `--port=N` in an argument list, with its position. */
export function findPortArg(args: string[]): { index: number; width: 1 | 2; port: number } | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a.startsWith('--port=')) return { index: i, width: 1, port: Number(a.slice(7)) };
    if (a === '--port' && i + 1 < args.length) return { index: i, width: 2, port: Number(args[i + 1]) };
  }
  return undefined;
}

const validPort = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 65535;

/** The one port a shell command line passes as `--port N`/`--port=N`, if it names exactly one. */
export function portInScript(main: Container): number | undefined {
  const text = [...(main.command ?? []), ...(main.args ?? [])].filter((w) => typeof w === 'string').join(' ');
  const ports = new Set<number>();
  for (const m of text.matchAll(/(?<![\w-])--port(?:=|\s+)(\d{1,5})\b/g)) ports.add(Number(m[1]));
  const [only] = [...ports];
  return ports.size === 1 && only !== undefined && validPort(only) ? only : undefined;
}

/** Where vLLM listens given its (final) arguments: its `--port`, else vLLM's default. */
export function vllmListenPort(main: Container): number {
  const found = isStringArray(main.args) ? findPortArg(main.args) : undefined;
  return found && validPort(found.port) ? found.port : VLLM_DEFAULT_PORT;
}

/** The value of `--name=V` / `--name V` in a container's command and args. */
export function flagValue(container: Container, name: string): string | undefined {
  const argv = [...(container.command ?? []), ...(container.args ?? [])];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (typeof a !== 'string') continue;
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
    if (a === `--${name}` && typeof argv[i + 1] === 'string') return argv[i + 1];
  }
  return undefined;
}
