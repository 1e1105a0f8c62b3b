import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/kserve-llmd.js', import.meta.url));
const example = (name: string) => fileURLToPath(new URL(`../examples/${name}.yaml`, import.meta.url));

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', input, timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('kserve-llmd CLI', () => {
  it('--help for the binary and each command', () => {
    expect(run(['--help'])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/Commands:\n {2}webhook .*\n {2}render /),
    });
    expect(run(['webhook', '--help']).stdout).toMatch(/--cert-dir <value>/);
    expect(run(['render', '-h']).stdout).toMatch(/-f, --filename <value>/);
  });

  it('every command listed in the top help loads and answers --help', () => {
    const names = [...run(['--help']).stdout.matchAll(/^ {2}([a-z-]+) /gm)].map((m) => m[1]!);
    expect(names).toEqual(['webhook', 'render', 'bench', 'local', 'controller', 'autoscaler']);
    for (const name of names) {
      const r = run([name, '--help']);
      expect([name, r.code]).toEqual([name, 0]);
      expect(r.stdout).toMatch(/^Usage: kserve-llmd /);
    }
  });

  it.each([
    [['nope'], /^kserve-llmd: unknown command "nope"; commands: webhook, render(, [a-z]+)*\n$/],
    [['webhook', '--prot', '1'], /^kserve-llmd webhook: unknown flag --prot \(see kserve-llmd webhook --help\)\n$/],
    [['webhook', '--port', 'abc'], /^kserve-llmd webhook: --port: "abc" is not an integer\n$/],
    [['webhook', '--port=70000'], /^kserve-llmd webhook: --port: 70000 is out of range \[1, 65535\]\n$/],
    [['webhook', '--default-deployment-mode', 'Serverless'], /one of Knative, Standard, ModelMesh\n$/],
    [['webhook', '--config', '/nonexistent.yaml'], /^kserve-llmd webhook: config \/nonexistent.yaml: ENOENT/],
    [['render'], /^kserve-llmd render: -f FILE or -f - is required\n$/],
    [['render', '-f', '/nonexistent.yaml'], /^kserve-llmd render: cannot read \/nonexistent.yaml: ENOENT\n$/],
  ])('%j → one line, exit 2', (args, message) => {
    const r = run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('render prints the mutated object and exits 0', () => {
    const r = run(['render', '-f', example('nvidia-basic')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/runtime: kserve-llmd-vllm-nvidia/);
  });

  it('render reads standard input', () => {
    const r = run(['render', '-f', '-'], run(['render', '-f', example('tpu')]).stdout);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/kserve-llmd-vllm-tpu/);
  });

  it('render exits 1 with the denial on invalid annotations', () => {
    const r = run(['render', '-f', example('invalid-annotations')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^kserve-llmd render: .*invalid-annotations.yaml document 1 \(InferenceService models\/broken\): kserve-llmd: 4 problems/,
    );
  });
});
