/**
 * In-cluster credentials without client-node (src/kube-incluster.ts): a temp service-account directory
 * written the way kubelet writes it, and a loopback TLS API server whose certificate is that directory's CA.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKubeClient, loadKubeConfig, RESOURCES } from '../../src/kube.js';
import { InClusterConfig, loadInClusterConfig } from '../../src/kube-incluster.js';
import { certFor, kubeletWrite } from '../support/tls.js';

/**
 * Real time: a deadline far above a loopback TLS call with every core busy. With 2 s, a slow handshake under
 * load ended in a timeout instead of the certificate error the CA test expects.
 */
const API_TIMEOUT_MS = 30_000;

describe('in-cluster credentials', () => {
  let dir: string;
  let server: Server;
  let port: number;
  let ca: string;
  const seen: string[] = [];

  beforeAll(async () => {
    const pair = await certFor('127.0.0.1'); // self-signed: its certificate is the CA the client must trust
    ca = pair.cert;
    server = createServer({ cert: pair.cert, key: pair.key, minVersion: 'TLSv1.2' }, (req, res) => {
      seen.push(req.headers.authorization ?? '');
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(
          JSON.stringify({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] }),
        );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kserve-llmd-sa-'));
    await kubeletWrite(dir, { token: 'token-1\n', 'ca.crt': ca, namespace: 'kserve-llmd-system' });
    seen.length = 0;
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const env = (): NodeJS.ProcessEnv => ({
    KUBERNETES_SERVICE_HOST: '127.0.0.1',
    KUBERNETES_SERVICE_PORT: String(port),
  });

  it(
    'is chosen in a pod: host and port from the environment, CA ' +
      'and namespace from the mounted files, and it verifies the server',
    async () => {
      const kc = await loadKubeConfig({ env: env(), serviceAccountDir: dir });
      expect(kc).toBeInstanceOf(InClusterConfig);
      const ic = kc as InClusterConfig;
      expect([ic.server, ic.namespace, ic.ca]).toEqual([`https://127.0.0.1:${port}`, 'kserve-llmd-system', ca]);
      const client = createKubeClient(kc, { timeoutMs: API_TIMEOUT_MS });
      await expect(client.list(RESOURCES.configMaps, 'ns')).resolves.toMatchObject({ items: [] });
      expect(seen).toEqual(['Bearer token-1']);
      await client.close();

      // A CA that did not sign the server's certificate: the call fails, nothing is sent unverified.
      await kubeletWrite(dir, {
        token: 'token-1',
        'ca.crt': (await certFor('someone-else')).cert,
        namespace: 'kserve-llmd-system',
      });
      const other = await loadKubeConfig({ env: env(), serviceAccountDir: dir });
      expect(other).toBeInstanceOf(InClusterConfig);
      const wrongCa = createKubeClient(other, { timeoutMs: API_TIMEOUT_MS });
      await expect(wrongCa.list(RESOURCES.configMaps, 'ns')).rejects.toThrow(/certificate/);
      await wrongCa.close();
      expect(seen).toEqual(['Bearer token-1']);
    },
  );

  it('re-reads a rotated token after a minute (client-go), and keeps the last token when a re-read fails', async () => {
    let now = 1_000_000;
    const kc = loadInClusterConfig({ env: env(), dir, now: () => now })!;
    const client = createKubeClient(kc, { timeoutMs: API_TIMEOUT_MS });
    await client.list(RESOURCES.configMaps, 'ns');
    // kubelet refreshes the projected volume
    await kubeletWrite(dir, { token: 'token-2', 'ca.crt': ca, namespace: 'kserve-llmd-system' });
    now += 59_000;
    await client.list(RESOURCES.configMaps, 'ns'); // still cached
    now += 2_000;
    await client.list(RESOURCES.configMaps, 'ns');
    expect(seen).toEqual(['Bearer token-1', 'Bearer token-1', 'Bearer token-2']);

    await rm(join(dir, 'token'));
    now += 61_000;
    await client.list(RESOURCES.configMaps, 'ns');
    expect(seen.at(-1)).toBe('Bearer token-2');
    expect(kc.lastTokenError?.message).toMatch(/ENOENT/);
    await client.close();
  });

  it('is not used outside a pod or without a mounted token; an explicit kubeconfig wins over it', async () => {
    expect(loadInClusterConfig({ env: {}, dir })).toBeUndefined();
    expect(loadInClusterConfig({ env: { KUBERNETES_SERVICE_HOST: '127.0.0.1' }, dir })).toBeUndefined();
    expect(loadInClusterConfig({ env: env(), dir: join(dir, 'missing') })).toBeUndefined();
    expect(
      loadInClusterConfig({ env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, dir })?.server,
    ).toBe('https://[fd00::1]:443');

    const file = join(dir, 'kubeconfig');
    await writeFile(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: dev',
        'clusters: [{name: dev, cluster: {server: "https://dev.example:6443"}}]',
        'users: [{name: dev, user: {token: dev-token}}]',
        'contexts: [{name: dev, context: {cluster: dev, user: dev}}]',
      ].join('\n'),
    );
    const kc = await loadKubeConfig({ kubeconfig: file, env: env(), serviceAccountDir: dir });
    expect(kc).not.toBeInstanceOf(InClusterConfig);
    expect(kc.getCurrentCluster()?.server).toBe('https://dev.example:6443');
  });

  it('names the token file when the first read fails', async () => {
    const kc = new InClusterConfig('127.0.0.1', String(port), { dir: join(dir, 'missing') });
    await expect(kc.currentToken()).rejects.toThrow(/cannot read the service-account token .*missing\/token/);
  });
});
