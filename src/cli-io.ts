/**
 * What a command touches of its process, passed in so the same code runs as the binary (`processIo()`) and
 * inside a test (fakes that record): output, standard input, environment, signals and the exit.
 */
import { readFileSync } from 'node:fs';

export interface CliIo {
  stdout: Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean; columns?: number };
  stderr: Pick<NodeJS.WriteStream, 'write'>;
  /** All of standard input (`render -f -`). */
  readStdin(): string;
  env: NodeJS.ProcessEnv;
  /** Where SIGINT/SIGTERM arrive. */
  signals: Pick<NodeJS.EventEmitter, 'once' | 'off'>;
  /** Ends the process; long-running commands call it when they stop (signal, lost Lease, fatal error). */
  exit(code: number): void;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    readStdin: () => readFileSync(0, 'utf8'),
    env: process.env,
    signals: process,
    exit: (code) => process.exit(code),
  };
}
