/**
 * In a pod, the autoscaler process never loads @kubernetes/client-node (~88 MB of RSS, docs/benchmarks.md):
 * a child process imports the CLI's autoscaler and controller command modules, loads in-cluster
 * credentials and starts the Autoscaler's informers over TLS, with a module-load hook logging any
 * client-node file. The same child with a kubeconfig file does load it (so the hook can see it).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server } from 'node:tls';
import { AUTOSCALER_CLASS, KNATIVE_CLASS_ANNOTATION } from '../../core/names.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver/index.js';
import { certFor, kubeletWrite } from '../support/tls.js';
import { fakeKubeconfig } from '../support/kubeconfig.js';

const here = join(process.cwd(), 'test', 'kube', 'support');

function runChild(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--import', join(here, 'load-log.mjs'), join(here, 'in-cluster-child.ts')],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    // A hang backstop (real time): a Node + tsx child with informers takes seconds, more with every core busy.
    const kill = setTimeout(() => child.kill('SIGKILL'), 100_000);
    child.on('close', (code) => {
      clearTimeout(kill);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the in-cluster autoscaler process', () => {
  let api: FakeApiServer;
  let tls: Server;
  let dir: string;
  const sockets = new Set<Socket>();

  const pa = (name: string) => ({
    apiVersion: 'autoscaling.internal.knative.dev/v1alpha1',
    kind: 'PodAutoscaler',
    metadata: { name, namespace: 'models', annotations: { [KNATIVE_CLASS_ANNOTATION]: AUTOSCALER_CLASS } },
    spec: {
      protocolType: 'http1',
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `${name}-deployment` },
    },
  });

  beforeAll(async () => {
    api = await startFakeApiServer();
    api.seed(pa('llama-decode-00001'));
    // The API server in a pod's view: TLS with the cluster CA (a TLS front on the plain-HTTP fake).
    const pair = await certFor('127.0.0.1');
    const upstream = new URL(api.url);
    tls = createTlsServer({ cert: pair.cert, key: pair.key, minVersion: 'TLSv1.2' }, (s) => {
      const up = connect(Number(upstream.port), '127.0.0.1');
      for (const x of [s, up]) {
        sockets.add(x);
        x.on('error', () => undefined).on('close', () => sockets.delete(x));
      }
      s.pipe(up).pipe(s);
    });
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    dir = await mkdtemp(join(tmpdir(), 'kserve-llmd-sa-'));
    await kubeletWrite(dir, { token: 'sa-token', 'ca.crt': pair.cert, namespace: 'kserve-llmd-system' });
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => tls.close(() => r()));
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  const baseEnv = (): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: dir,
      SA_DIR: dir,
      LOAD_LOG: join(dir, 'loaded.log'),
    };
    return env;
  };

  it('runs its informers on in-cluster credentials without loading @kubernetes/client-node', async () => {
    const port = String((tls.address() as AddressInfo).port);
    const out = await runChild({
      ...baseEnv(),
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: port,
      NEW_PA: JSON.stringify(pa('llama-prefill-00001')),
    });
    expect([out.code, out.stderr]).toEqual([0, '']);
    expect(JSON.parse(out.stdout)).toEqual({
      config: 'InClusterConfig',
      server: `https://127.0.0.1:${port}`,
      targets: ['llama-decode-00001', 'llama-prefill-00001'],
    });
    expect(await readFile(join(dir, 'loaded.log'), 'utf8')).toBe('');
    const watched = api.calls
      .filter((c) => c.verb === 'watch')
      .map((c) => c.resource)
      .sort();
    expect(watched).toEqual(['deployments', 'podautoscalers', 'pods', 'serverlessservices']);
  });

  it('with a kubeconfig file, loads client-node for it (the hook does see client-node)', async () => {
    const file = join(dir, 'kubeconfig');
    await writeFile(file, fakeKubeconfig(api.url, 't'));
    await rm(join(dir, 'loaded.log'), { force: true });
    const out = await runChild({ ...baseEnv(), KUBECONFIG: file, NEW_PA: JSON.stringify(pa('llama-decode-00002')) });
    expect([out.code, out.stderr]).toEqual([0, '']);
    expect(JSON.parse(out.stdout)).toMatchObject({ config: 'KubeConfig', server: api.url });
    expect(JSON.parse(out.stdout).targets).toContain('llama-decode-00002');
    expect(await readFile(join(dir, 'loaded.log'), 'utf8')).toMatch(/@kubernetes\/client-node\/dist\/index\.js/);
  });
});
