/**
 * `kserve-llmd local` as a user runs it, in this process (the CLI's main() and the command with fake I/O):
 * one-line errors with exit codes for a missing or invalid YAML, a port in use, an engine command that cannot
 * start; Ctrl-C stops everything it started. The engines are real child processes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import type { FlagValues } from '../../src/cli-args.js';
import { main } from '../../src/cli/main.js';
import { ConfigError } from '../../src/config.js';
import { runLocalCommand } from '../../local/command.js';
import { fakeIo, runCli } from '../support/cli.js';
import { eventually } from '../support/eventually.js';
import { serviceYaml } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'kserve-llmd-local-'));

function file(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * The command in this process (no CLI start-up cost): what it prints and returns, or the error main() turns into exit
 * 2.
 */
async function inProcess(flags: FlagValues): Promise<{ code?: number; error?: Error; stderr: string }> {
  let stderr = '';
  const io = {
    stdout: { write: () => true },
    stderr: { write: (s: string) => ((stderr += s), true) },
    signals: new EventEmitter(),
  };
  try {
    return { code: await runLocalCommand({ view: 'plain', ...flags }, io), stderr };
  } catch (error) {
    return { error: error as Error, stderr };
  }
}

describe('kserve-llmd local configuration errors (in process)', () => {
  it.each([
    ['not YAML', 'kind: [unclosed', /not valid YAML/],
    ['no InferenceService', 'kind: ConfigMap\n', /no InferenceService in the file \(found ConfigMap\)/],
    [
      'an annotation the webhook denies',
      serviceYaml({ 'kserve-llmd.io/decode-replicas': 'lots' }),
      /kserve-llmd.io\/decode-replicas: "lots" is not valid/,
    ],
    [
      'P/D on cpu, which the webhook denies',
      serviceYaml({ 'kserve-llmd.io/disaggregation': 'prefill-decode', 'kserve-llmd.io/accelerator': 'cpu' }),
      /needs a GPU-class accelerator/,
    ],
  ])('%s: a ConfigError (exit 2) naming the file', async (_name, text, pattern) => {
    const f = file(`bad-${Math.random()}.yaml`, text);
    const r = await inProcess({ file: f });
    expect(r.error).toBeInstanceOf(ConfigError);
    expect(r.error?.message).toMatch(pattern);
    expect(r.error?.message).toContain(f);
    expect(r.error?.message).not.toContain('\n');
  });

  it('an invalid local config value names the allowed range', async () => {
    const r = await inProcess({ config: file('cfg.yaml', 'queue:\n  capacity: -1\n') });
    expect(r.error?.message).toMatch(/queue\.capacity=-1: must be an integer in \[0, 100000\]/);
  });

  it('an engine command that is not installed fails before anything starts', async () => {
    const r = await inProcess({ 'engine-command': 'no-such-vllm-binary serve x --port {port}' });
    expect(r.error).toBeInstanceOf(ConfigError);
    expect(r.error?.message).toMatch(/engine command "no-such-vllm-binary" not found on PATH/);
  });

  it('an engine command that dies before it is ready: stops after 3 tries with its last line, exit 1', async () => {
    const svc = file('warm.yaml', serviceYaml({ 'kserve-llmd.io/decode-replicas': '1-2' }));
    const cmd = `${process.execPath} -e "console.error('CUDA out of memory {port}');process.exit(3)"`;
    const r = await inProcess({ file: svc, port: 0, 'engine-command': cmd });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /the decode engine failed to start 3 times in a row; last: exited with code 3: CUDA out of memory \d+/,
    );
  });
});

describe('kserve-llmd local through the CLI (in process)', () => {
  it('a missing InferenceService file: one line, exit 2', async () => {
    const r = await runCli(['local', '-f', join(dir, 'nope.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/nope\.yaml: no such file/);
  });

  it('the gateway port in use: one line, exit 1', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runCli(['local', '--port', String(port)]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(
        `kserve-llmd local: gateway 127.0.0.1:${port} is already in use (EADDRINUSE); ` +
          'stop the other process or choose another port with --port',
      );
    } finally {
      blocker.close();
    }
  });

  it('Ctrl-C stops the gateway and every engine it started, exit 0', async () => {
    const svc = file('warm2.yaml', serviceYaml({ 'kserve-llmd.io/decode-replicas': '1-2' }));
    const io = fakeIo();
    const code = main(['local', '-f', svc, '--port', '0', '--cold-start-ms', '100'], io);
    await eventually('an engine ready', () => /"engine ready"/.test(io.out));
    const engineUrl = /"msg":"engine ready".*?"url":"(http:[^"]+)"/.exec(io.out)?.[1] as string;
    expect(engineUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    io.signals.emit('SIGINT');
    expect(await code).toBe(0);
    // The engine is gone with it: its port refuses connections.
    await eventually('the engine port closed', () =>
      fetch(`${engineUrl}/health`).then(
        () => false,
        () => true,
      ),
    );
    expect(io.out).toMatch(/"msg":"stopping: answering queued requests, stopping engines"/);
  });
});
