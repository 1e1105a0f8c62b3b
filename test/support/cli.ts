/**
 * The CLI in this process: `main()` with recording fakes for stdout/stderr, standard input, environment,
 * signals and exit. A command line costs what the command costs, not a Node + tsx start (~1–3 s each).
 * The real binary is still run as a process by test/bin.test.ts.
 */
import { EventEmitter } from 'node:events';
import type { CliIo } from '../../src/cli-io.js';
import { main } from '../../src/cli/main.js';

export interface FakeIo extends CliIo {
  signals: EventEmitter;
  readonly out: string;
  readonly err: string;
  /** Resolves with the code a long-running command passes to `exit`. */
  exited: Promise<number>;
}

export function fakeIo(
  opts: { stdin?: string; env?: NodeJS.ProcessEnv; onStdout?: (out: string) => void } = {},
): FakeIo {
  let out = '';
  let err = '';
  let exit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (exit = resolve));
  return {
    stdout: {
      write: (s: string | Uint8Array) => {
        out += String(s);
        opts.onStdout?.(out);
        return true;
      },
    },
    stderr: { write: (s: string | Uint8Array) => ((err += String(s)), true) },
    readStdin: () => {
      if (opts.stdin === undefined) throw new Error('standard input is not available in this test');
      return opts.stdin;
    },
    env: opts.env ?? {},
    signals: new EventEmitter(),
    exit: (code) => exit(code),
    exited,
    get out() {
      return out;
    },
    get err() {
      return err;
    },
  };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** One command line to completion (not for long-running commands: those return -1 and go on). */
export async function runCli(argv: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  const io = fakeIo(opts);
  const code = await main(argv, io);
  return { code, stdout: io.out, stderr: io.err };
}
