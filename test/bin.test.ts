/**
 * bin/kserve-llmd.js as a user runs it, as a child process: exit codes, one-line errors on stderr, --help,
 * standard input, and SIGTERM. Everything else about the commands runs in process (test/cli.test.ts).
 * Real time: each case starts Node + tsx (1–3 s on 2 idle cores, several times that with both cores busy),
 * so the per-process deadline below is generous on purpose (and the tests run within jest.config.js's 120 s).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultControllerConfig } from '../controller/config.js';
import { startFakeApiServer } from './support/fake-apiserver/index.js';
import { example as fixture, exampleText } from './support/fixtures.js';
import { eventually } from './support/eventually.js';
import { webhookAdmit } from './controller/harness.js';
import { fakeKubeconfig } from './support/kubeconfig.js';

const bin = fileURLToPath(new URL('../bin/kserve-llmd.js', import.meta.url));
const example = (name: string) => fileURLToPath(new URL(`../examples/${name}.yaml`, import.meta.url));
const PROCESS_DEADLINE_MS = 60_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], input = ''): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c));
    p.stderr.on('data', (c: Buffer) => (stderr += c));
    p.stdin.end(input);
    const timer = setTimeout(() => p.kill('SIGKILL'), PROCESS_DEADLINE_MS);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('bin/kserve-llmd.js (child process)', () => {
  it('--help: the commands, exit 0', async () => {
    expect(await run(['--help'])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/Commands:\n {2}webhook .*\n {2}render /),
      stderr: '',
    });
  });

  it('a usage error: one line on stderr, exit 2 (each message: test/cli.test.ts)', async () => {
    const r = await run(['nope']);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(/^kserve-llmd: unknown command "nope"; commands: webhook, render(, [a-z]+)*\n$/);
  });

  it('render -f - reads standard input and exits 0; invalid annotations exit 1 with the denial', async () => {
    const ok = await run(['render', '-f', '-'], exampleText('tpu'));
    expect([ok.code, ok.stderr]).toEqual([0, '']);
    expect(ok.stdout).toMatch(/kserve-llmd-vllm-tpu/);
    const bad = await run(['render', '-f', example('invalid-annotations')]);
    expect([bad.code, bad.stdout]).toEqual([1, '']);
    expect(bad.stderr).toMatch(
      /^kserve-llmd render: .*invalid-annotations.yaml document 1 .*: kserve-llmd: 4 problems/,
    );
  });

  it('controller: runs from a kubeconfig and exits 0 on SIGTERM, releasing its Lease', async () => {
    const api = await startFakeApiServer({ admit: webhookAdmit(defaultControllerConfig()) });
    const dir = mkdtempSync(join(tmpdir(), 'kserve-llmd-bin-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, fakeKubeconfig(api.url));
    api.seed(fixture('nvidia-basic') as any);
    const args = ['controller', '--kubeconfig', kubeconfig, '--metrics-port', '0', '--lease-namespace', 'kserve-llmd'];
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const lease = () => api.object('coordination.k8s.io/v1', 'Lease', 'kserve-llmd', 'kserve-llmd-controller');
    try {
      await eventually('the controller to start and hold its Lease', () => /"msg":"controller started"/.test(out), {
        timeoutMs: PROCESS_DEADLINE_MS,
      });
      expect(lease()!.spec.holderIdentity).toMatch(/-\d+$/);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(lease()!.spec.holderIdentity).toBe('');
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      await api.close();
    }
  });
});
