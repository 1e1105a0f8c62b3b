/**
 * The endpoint picker itself: its EndpointPickerConfig ConfigMap and Deployment (llm-d router EPP image).
 * One replica: the in-flight accounting and prefix index live in the process, so two replicas would each
 * see half the traffic (llm-d P/D guide runs one; llm-d.md §3, §9 item 9).
 */
import type { KubeObject } from '../../src/kube.js';
import { CONTROLLER, EPP_PORTS } from '../../core/names.js';
import { EPP_CONFIG_KEY, eppConfigYaml, type EppInputs } from '../epp-config/index.js';
import { eppSelector } from './epp-access.js';
import { eppName, finish, shortHash, type BuildContext } from './meta.js';
import { servedModelName, tokenizerUrl } from './tokenizer.js';

const COMPONENT = 'endpoint-picker';
const CONFIG_DIR = '/config';

export function eppInputs(ctx: BuildContext): EppInputs {
  const s = ctx.settings;
  return {
    pool: ctx.name,
    namespace: ctx.namespace,
    routing: s.routing === 'none' ? 'prefix-aware' : s.routing,
    disaggregation: s.disaggregation,
    kvOffload: s.kvOffload,
    decodeReplicas: s.decodeReplicas,
    prefillReplicas: s.prefillReplicas,
    kvEventsPort: ctx.config.webhook.injection.kvEventsPort,
    modelName: servedModelName(ctx.isvc),
    tokenizerUrl: tokenizerUrl(ctx),
    pdNonCachedTokens: ctx.config.pdNonCachedTokens,
    kvBytesPerBlock: ctx.config.kvBytesPerBlock,
  };
}

export function eppConfigMap(ctx: BuildContext): KubeObject {
  return finish(
    ctx,
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: eppName(ctx) },
      data: { [EPP_CONFIG_KEY]: eppConfigYaml(eppInputs(ctx)) },
    },
    COMPONENT,
  );
}

/**
 * EPP flags, each defined in llm-d-router v0.9.0 pkg/epp/server/options.go (logging: pkg/common/observability/
 * logging/options.go, controller-runtime zap flags) and set as upstream's router chart sets them
 * (config/charts/routerlib/templates/_deployment.yaml). No --ha-enable-leader-election: one replica (above).
 */
export function eppArgs(ctx: BuildContext): string[] {
  return [
    `--pool-name=${ctx.name}`,
    `--pool-namespace=${ctx.namespace}`,
    `--config-file=${CONFIG_DIR}/${EPP_CONFIG_KEY}`,
    `--grpc-port=${EPP_PORTS.grpc}`,
    `--grpc-health-port=${EPP_PORTS.health}`,
    `--metrics-port=${EPP_PORTS.metrics}`,
    // The default, written out because the gateway set-up depends on it: ext_proc is served over TLS with a
    // self-signed certificate; gateway-policies.ts makes each gateway implementation dial it that way.
    '--secure-serving=true',
    // Metrics auth needs cluster-scoped tokenreviews/subjectaccessreviews, which a namespaced Role cannot grant
    // and which we will not hand to a per-service picker; scrape 9090 inside the cluster (NetworkPolicy) instead.
    '--metrics-endpoint-auth=false',
    // Tracing is on by default and retries exporting to a collector that is not configured.
    '--tracing=false',
    '--zap-encoder=json',
  ];
}

export function eppDeployment(ctx: BuildContext): KubeObject {
  const selector = eppSelector(ctx);
  // As the router chart's single-replica EPP: without leader election the gRPC health server answers SERVING
  // for any service name once the pool has synced (cmd/epp/runner/health.go, v0.9.0).
  const probe = { grpc: { port: EPP_PORTS.health, service: 'inference-extension' } };
  const { cpu, memory } = ctx.config.eppResources;
  return finish(
    ctx,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: eppName(ctx) },
      spec: {
        replicas: 1,
        selector: { matchLabels: selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: {
          metadata: {
            labels: selector,
            annotations: { [CONTROLLER.configHashAnnotation]: shortHash(eppConfigYaml(eppInputs(ctx))) },
          },
          spec: {
            serviceAccountName: eppName(ctx),
            // GIE's EPP manifests: in-flight streams drain before the picker exits.
            terminationGracePeriodSeconds: 130,
            securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'epp',
                image: ctx.config.eppImage,
                imagePullPolicy: 'IfNotPresent',
                args: eppArgs(ctx),
                // Read by cmd/epp/runner/runner.go (v0.9.0): NAMESPACE when --pool-namespace is empty, POD_NAME
                // in endpoint-selector mode; set as the router chart sets them.
                env: [
                  { name: 'NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                ],
                ports: [
                  { name: 'grpc', containerPort: EPP_PORTS.grpc, protocol: 'TCP' },
                  { name: 'grpc-health', containerPort: EPP_PORTS.health, protocol: 'TCP' },
                  { name: 'metrics', containerPort: EPP_PORTS.metrics, protocol: 'TCP' },
                ],
                livenessProbe: { ...probe, initialDelaySeconds: 5, periodSeconds: 10 },
                readinessProbe: { ...probe, periodSeconds: 2 },
                resources: { requests: { cpu, memory }, limits: { memory } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
                volumeMounts: [
                  { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: eppName(ctx) } },
              { name: 'tmp', emptyDir: {} },
            ],
          },
        },
      },
    },
    COMPONENT,
  );
}
