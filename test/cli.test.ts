/** The CLI's commands, help and one-line errors, run in this process through main() (test/support/cli.ts). */
import { fileURLToPath } from 'node:url';
import { runCli as run } from './support/cli.js';

const example = (name: string) => fileURLToPath(new URL(`../examples/${name}.yaml`, import.meta.url));

describe('kserve-llmd CLI', () => {
  it('--help for the binary and each command; no command prints the help and exits 2', async () => {
    expect(await run(['--help'])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/Commands:\n {2}webhook .*\n {2}render /),
    });
    expect(await run([])).toMatchObject({ code: 2, stdout: expect.stringMatching(/^Usage: kserve-llmd <command>/) });
    expect((await run(['webhook', '--help'])).stdout).toMatch(/--cert-dir <value>/);
    expect((await run(['render', '-h'])).stdout).toMatch(/-f, --filename <value>/);
  });

  it('every command listed in the top help loads and answers --help', async () => {
    const names = [...(await run(['--help'])).stdout.matchAll(/^ {2}([a-z-]+) /gm)].map((m) => m[1]!);
    expect(names).toEqual(['webhook', 'render', 'bench', 'local', 'controller', 'autoscaler']);
    for (const name of names) {
      const r = await run([name, '--help']);
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
    [
      ['webhook', '--config', 'examples/no-such-file.yaml'],
      /^kserve-llmd webhook: config examples\/no-such-file.yaml: ENOENT/,
    ],
    [['render'], /^kserve-llmd render: -f FILE or -f - is required\n$/],
    [
      ['render', '-f', 'examples/no-such-file.yaml'],
      /^kserve-llmd render: cannot read examples\/no-such-file.yaml: ENOENT\n$/,
    ],
    [['bench', 'nope'], /^kserve-llmd bench: unknown benchmark "nope"; benchmarks: /],
  ])('%j → one line, exit 2', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('render prints the mutated object and exits 0', async () => {
    const r = await run(['render', '-f', example('nvidia-basic')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/runtime: kserve-llmd-vllm-nvidia/);
  });

  it('render reads standard input', async () => {
    // Rendering is idempotent: the output of a render, read back from standard input, renders again.
    const r = await run(['render', '-f', '-'], { stdin: (await run(['render', '-f', example('tpu')])).stdout });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/kserve-llmd-vllm-tpu/);
  });

  it('render exits 1 with the denial on invalid annotations', async () => {
    const r = await run(['render', '-f', example('invalid-annotations')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^kserve-llmd render: .*invalid-annotations.yaml document 1 \(InferenceService models\/broken\): kserve-llmd: 4 problems/,
    );
  });
});
