/**
 * A fresh fake API server and a project client per test (jest beforeEach/afterEach), for suites that talk to the
 * API over real HTTP. `use` receives each test's pair (assign them to the suite's own variables).
 */
import { createKubeClient, type KubeClient } from '../../src/kube.js';
import { startFakeApiServer, type FakeApiServer } from './fake-apiserver/index.js';

export interface FakeApiContext {
  api: FakeApiServer;
  client: KubeClient;
}

export function fakeApiPerTest(
  opts: { bookmarkIntervalMs: number; timeoutMs?: number },
  use: (ctx: FakeApiContext) => void,
): FakeApiContext {
  const ctx = {} as FakeApiContext;
  beforeEach(async () => {
    ctx.api = await startFakeApiServer({ bookmarkIntervalMs: opts.bookmarkIntervalMs });
    // The client's deadline is real time: 30 s by default, far above a loopback call with every core busy.
    ctx.client = createKubeClient(ctx.api.kubeConfig(), { timeoutMs: opts.timeoutMs ?? 30_000 });
    use(ctx);
  });
  afterEach(async () => {
    await ctx.client.close();
    await ctx.api.close();
  });
  return ctx;
}
