/**
 * `kserve-llmd controller` through the CLI's main() in this process: real kubeconfig file, real fake API server,
 * leader election, shutdown on SIGTERM. The binary itself (real signals, exit code) is run in test/bin.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultControllerConfig } from '../../controller/config.js';
import { main } from '../../src/cli/main.js';
import { fakeIo, runCli } from '../support/cli.js';
import { eventually } from '../support/eventually.js';
import { example } from '../support/fixtures.js';
import { startFakeApiServer } from '../support/fake-apiserver/index.js';
import { webhookAdmit } from './harness.js';
import { fakeKubeconfig } from '../support/kubeconfig.js';

describe('kserve-llmd controller', () => {
  it('bad flags: one line, exit 2', async () => {
    const r = await runCli(['controller', '--resync-period', 'often']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'kserve-llmd controller: controller resync-period="often": must be a duration like 30s, 10m or 1h\n',
    );
    const e = await runCli(['controller', '--epp-image', 'ghcr.io/llm-d/epp:latest']);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/eppImage="ghcr.io\/llm-d\/epp:latest": must be an image with a pinned tag/);
  });

  it('reconciles from a kubeconfig with leader election, and exits 0 on SIGTERM releasing the Lease', async () => {
    const api = await startFakeApiServer({ admit: webhookAdmit(defaultControllerConfig()) });
    const dir = mkdtempSync(join(tmpdir(), 'kserve-llmd-ctl-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, fakeKubeconfig(api.url));
    api.seed(example('nvidia-basic') as any);
    const io = fakeIo();
    const lease = () => api.object('coordination.k8s.io/v1', 'Lease', 'kserve-llmd', 'kserve-llmd-controller');
    const args = ['--kubeconfig', kubeconfig, '--metrics-port', '0', '--gateway', 'gw/main'];
    let running = false;
    try {
      // -1: a long-running command; it ends through io.exit.
      running = (await main(['controller', ...args, '--lease-namespace', 'kserve-llmd'], io)) === -1;
      expect(running).toBe(true);
      const route = await eventually('the HTTPRoute from the default gateway', () =>
        api.object('gateway.networking.k8s.io/v1', 'HTTPRoute', 'models', 'llama-8b'),
      );
      expect(route.spec.parentRefs[0]).toMatchObject({ namespace: 'gw', name: 'main' });
      expect(lease()!.spec.holderIdentity).toMatch(/-\d+$/);
      io.signals.emit('SIGTERM');
      expect(await io.exited).toBe(0);
      expect(lease()!.spec.holderIdentity).toBe('');
      expect(io.out).toMatch(/"msg":"controller started"/);
    } finally {
      if (running) {
        io.signals.emit('SIGTERM'); // a no-op when the test already stopped it
        await io.exited;
      }
      rmSync(dir, { recursive: true, force: true });
      await api.close();
    }
  });
});
