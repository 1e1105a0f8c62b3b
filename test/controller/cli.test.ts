/** `kserve-llmd controller` as a process: real kubeconfig, real fake API server, SIGTERM shutdown. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultControllerConfig } from '../../controller/config.js';
import { example } from '../support/fixtures.js';
import { startFakeApiServer } from '../support/fake-apiserver/index.js';
import { until, webhookAdmit } from './harness.js';

const bin = fileURLToPath(new URL('../../bin/kserve-llmd.js', import.meta.url));

describe('kserve-llmd controller', () => {
  it('bad flags: one line, exit 2', () => {
    const r = spawnSync(process.execPath, [bin, 'controller', '--resync-period', 'often'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      'kserve-llmd controller: controller resync-period="often": must be a duration like 30s, 10m or 1h\n',
    );
    const e = spawnSync(process.execPath, [bin, 'controller', '--epp-image', 'ghcr.io/llm-d/epp:latest'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(e.stderr).toMatch(/eppImage="ghcr.io\/llm-d\/epp:latest": must be an image with a pinned tag/);
  });

  it('reconciles from a kubeconfig with leader election, and exits 0 on SIGTERM releasing the Lease', async () => {
    const api = await startFakeApiServer({ admit: webhookAdmit(defaultControllerConfig()) });
    const dir = mkdtempSync(join(tmpdir(), 'kserve-llmd-ctl-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: fake',
        `clusters: [{name: fake, cluster: {server: "${api.url}", insecure-skip-tls-verify: true}}]`,
        'users: [{name: fake, user: {token: fake-token}}]',
        'contexts: [{name: fake, context: {cluster: fake, user: fake}}]',
      ].join('\n'),
    );
    api.seed(example('nvidia-basic') as any);
    const child = spawn(
      process.execPath,
      [
        bin,
        'controller',
        '--kubeconfig',
        kubeconfig,
        '--metrics-port',
        '0',
        '--gateway',
        'gw/main',
        '--lease-namespace',
        'kserve-llmd',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      await until(
        () => api.object('gateway.networking.k8s.io/v1', 'HTTPRoute', 'models', 'llama-8b') !== undefined,
        20_000,
        'HTTPRoute from the default gateway',
      );
      expect(
        api.object('gateway.networking.k8s.io/v1', 'HTTPRoute', 'models', 'llama-8b')!.spec.parentRefs[0],
      ).toMatchObject({ namespace: 'gw', name: 'main' });
      const lease = api.object('coordination.k8s.io/v1', 'Lease', 'kserve-llmd', 'kserve-llmd-controller')!;
      expect(lease.spec.holderIdentity).toMatch(/-\d+$/);
      const code = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      expect(await code).toBe(0);
      expect(
        api.object('coordination.k8s.io/v1', 'Lease', 'kserve-llmd', 'kserve-llmd-controller')!.spec.holderIdentity,
      ).toBe('');
      expect(out).toMatch(/"msg":"controller started"/);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      await api.close();
    }
  }, 40_000);
});
