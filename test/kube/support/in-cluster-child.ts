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

const kc = await loadKubeConfig({ serviceAccountDir: process.env.SA_DIR });
const client = createKubeClient(kc, { timeoutMs: 5_000 });
const config = parseAutoscalerConfig({ leaderElection: { enabled: false }, metrics: { port: 0 } });
const autoscaler = new Autoscaler({
  kc,
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
for (let i = 0; i < 500 && !autoscaler.view.targets().some((t) => t.name === pa.metadata.name); i++)
  await new Promise((r) => setTimeout(r, 10));
const targets = autoscaler.view
  .targets()
  .map((t) => t.name)
  .sort();
await autoscaler.stop();
await client.close();
console.log(JSON.stringify({ config: kc.constructor.name, server: kc.getCurrentCluster()?.server, targets }));
