/**
 * Runs in a child process as the autoscaler does in a pod: the CLI's autoscaler and controller command
 * modules, in-cluster credentials from $SA_DIR, and a started Autoscaler (informers) against the API
 * server at $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT; creates $NEW_PA and waits for the watch to
 * deliver it. Prints what it saw as one JSON line.
 */
import '../../../autoscaler/main.js';
import '../../../controller/main.js';
import { Autoscaler } from '../../../autoscaler/autoscaler.js';
import { parseAutoscalerConfig } from '../../../autoscaler/config.js';
import { createKubeClient, loadKubeConfig, RESOURCES } from '../../../src/kube.js';
import { silentLogger } from '../../../src/log.js';
import { createRegistry } from '../../../src/metrics.js';
import { eventually } from '../../support/eventually.js';

const kc = await loadKubeConfig({ serviceAccountDir: process.env.SA_DIR });
// Generous: this child runs while the test suite (and, under npm run test:load, busy loops) use every core.
const client = createKubeClient(kc, { timeoutMs: 30_000 });
const config = parseAutoscalerConfig({ leaderElection: { enabled: false }, metrics: { port: 0 } });
const autoscaler = new Autoscaler({
  client,
  config,
  logger: silentLogger,
  registry: createRegistry(),
  identity: 'child',
});
await autoscaler.start();
// A PodAutoscaler created after the first list reaches the view only through the watch.
const pa = JSON.parse(process.env.NEW_PA ?? '{}') as { metadata: { name: string; namespace: string } };
await client.create(RESOURCES.podAutoscalers, pa.metadata.namespace, pa);
await eventually('the new PodAutoscaler in the view', () =>
  autoscaler.view.targets().some((t) => t.name === pa.metadata.name),
);
const targets = autoscaler.view
  .targets()
  .map((t) => t.name)
  .sort();
await autoscaler.stop();
await client.close();
console.log(JSON.stringify({ config: kc.constructor.name, server: kc.getCurrentCluster()?.server, targets }));
