/**
 * The optional components (manifests/overlays/production): NetworkPolicies against the Kubernetes schema;
 * ServiceMonitors structurally (no Prometheus Operator CRD schema is available here); the Grafana dashboard
 * against the metrics the processes really register.
 */
import yaml from 'js-yaml';
import { Registry } from 'prom-client';
import { autoscalerMetrics } from '../../autoscaler/own-metrics.js';
import { parseAutoscalerConfig } from '../../autoscaler/config.js';
import { defaultControllerConfig } from '../../controller/config.js';
import { EPP_METRICS_URL_TEMPLATE, INSTALL_NAMESPACE, LEASE_NAMES } from '../../core/names.js';
import { webhookMetrics } from '../../webhooks/metrics.js';
import type { KObject } from '../support/kustomize.js';
import { validateObject } from '../support/schema.js';
import { build, find, one } from './helpers.js';

const production = (): KObject[] => build('manifests/overlays/production');
const selects = (selector: Record<string, string>, labels: Record<string, string> = {}): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('optional components', () => {
  it(
    'the production overlay is the default install plus ' +
      'monitoring and NetworkPolicies, all Kubernetes kinds valid',
    () => {
      const defaults = build('manifests/overlays/default').map((o) => `${o.kind}/${o.metadata.name}`);
      const objs = production();
      expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(expect.arrayContaining(defaults));
      const problems = objs
        .filter((o) => o.apiVersion !== 'monitoring.coreos.com/v1')
        .flatMap((o) => validateObject(o).map((e) => `${o.kind}/${o.metadata.name}: ${e}`));
      expect(problems).toEqual([]);
    },
  );

  it('each ServiceMonitor selects one Service in kserve-llmd and scrapes a port it declares', () => {
    const monitors = find(production(), 'ServiceMonitor');
    expect(monitors.map((m) => m.metadata.name).sort()).toEqual([
      'kserve-llmd-autoscaler',
      'kserve-llmd-controller',
      'kserve-llmd-webhook',
    ]);
    for (const m of monitors) {
      expect(m.metadata.namespace).toBe(INSTALL_NAMESPACE);
      const services = find(production(), 'Service').filter((s) =>
        selects(m.spec.selector.matchLabels, s.metadata.labels),
      );
      expect([m.metadata.name, services.length]).toEqual([m.metadata.name, 1]);
      for (const e of m.spec.endpoints as KObject[]) {
        expect((services[0]!.spec.ports as KObject[]).map((p) => p.name)).toContain(e.port);
        expect(e.path).toBe('/metrics');
        if (e.tlsConfig)
          expect(find(production(), 'Certificate').map((c) => c.spec.secretName)).toContain(e.tlsConfig.ca.secret.name);
      }
    }
  });

  it(
    'NetworkPolicies: default-deny ingress, the webhook port ' +
      'open, its egress only to API server ports, metrics ports',
    () => {
      const deny = one(production(), 'NetworkPolicy', 'kserve-llmd-default-deny-ingress');
      expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
      // The webhook's own policies come with the default install (manifests/base/webhook/network-policy.yaml).
      const install = build('manifests/overlays/default');
      const webhookPod = one(install, 'Deployment', 'kserve-llmd-webhook').spec.template;
      const egress = one(install, 'NetworkPolicy', 'kserve-llmd-webhook-egress');
      expect(selects(egress.spec.podSelector.matchLabels, webhookPod.metadata.labels)).toBe(true);
      // GET /version at start (webhooks/pod/native-sidecars.ts); no DNS, nothing else.
      expect(egress.spec).toMatchObject({
        policyTypes: ['Egress'],
        egress: [
          {
            ports: [
              { port: 443, protocol: 'TCP' },
              { port: 6443, protocol: 'TCP' },
            ],
          },
        ],
      });
      expect(egress.spec.egress[0].to).toBeUndefined();
      const webhookIngress = one(install, 'NetworkPolicy', 'kserve-llmd-webhook-ingress');
      expect(selects(webhookIngress.spec.podSelector.matchLabels, webhookPod.metadata.labels)).toBe(true);
      const ports = (webhookPod.spec.containers[0].ports as KObject[]).map((p) => p.name);
      // Admission (and probes) from any source; metrics only from the monitoring namespace; nothing else.
      expect(webhookIngress.spec.ingress).toEqual([
        { ports: [{ port: 'https', protocol: 'TCP' }] },
        {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
          ports: [{ port: 'metrics', protocol: 'TCP' }],
        },
      ]);
      expect(ports).toEqual(['https', 'metrics']);
      const metrics = one(production(), 'NetworkPolicy', 'kserve-llmd-metrics-ingress');
      for (const name of ['kserve-llmd-controller', 'kserve-llmd-autoscaler']) {
        const pod = one(production(), 'Deployment', name).spec.template;
        expect(metrics.spec.podSelector.matchExpressions[0].values).toContain(
          pod.metadata.labels['app.kubernetes.io/component'],
        );
        expect((pod.spec.containers[0].ports as KObject[]).map((p) => p.name)).toContain(
          metrics.spec.ingress[0].ports[0].port,
        );
      }
    },
  );

  it('the Grafana dashboard queries only metrics and labels the webhook and autoscaler register', () => {
    const cm = one(production(), 'ConfigMap', 'kserve-llmd-dashboard');
    expect(cm.metadata.labels.grafana_dashboard).toBe('1');
    const dashboard = JSON.parse(cm.data['kserve-llmd.json']) as {
      panels: Array<{ type: string; targets?: Array<{ expr: string }> }>;
    };
    const registry = new Registry();
    webhookMetrics(registry);
    autoscalerMetrics(registry);
    const known = new Map(
      registry.getMetricsAsArray().map((m) => [m.name, (m as unknown as { labelNames: string[] }).labelNames]),
    );
    const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    expect(exprs.length).toBeGreaterThan(10);
    for (const expr of exprs) {
      const names = expr.match(/kserve_llmd_[a-z_]+/g) ?? [];
      expect([expr, names.length > 0]).toEqual([expr, true]);
      for (const raw of names) {
        const name = raw.replace(/_(bucket|sum|count)$/, '');
        expect([raw, known.has(name)]).toEqual([raw, true]);
        const grouped = [...expr.matchAll(/by \(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((s) => s.trim()));
        for (const label of grouped)
          expect([raw, label, label === 'le' || known.get(name)!.includes(label)]).toEqual([raw, label, true]);
      }
    }
  });

  it(
    'the autoscaler config in the ConfigMap parses with its own ' +
      'parser, on the port and Lease the manifests expect',
    () => {
      const cm = one(production(), 'ConfigMap', 'kserve-llmd-config');
      const config = parseAutoscalerConfig(yaml.load(cm.data['autoscaler.yaml']));
      const pod = one(production(), 'Deployment', 'kserve-llmd-autoscaler').spec.template.spec;
      expect((pod.containers[0].ports as KObject[]).find((p) => p.name === 'metrics')?.containerPort).toBe(
        config.metrics.port,
      );
      expect(config.leaderElection).toEqual({
        enabled: true,
        namespace: INSTALL_NAMESPACE,
        name: LEASE_NAMES.autoscaler,
      });
      // Demand at zero through the Gateway: the endpoint picker Service the controller creates.
      expect(config.eppMetricsUrl).toBe(EPP_METRICS_URL_TEMPLATE);
    },
  );

  it(
    "the controller mutates prefill siblings with the webhook's " +
      'own config file, and serves probes on its metrics port',
    () => {
      const cm = one(production(), 'ConfigMap', 'kserve-llmd-config');
      const container = one(production(), 'Deployment', 'kserve-llmd-controller').spec.template.spec.containers[0];
      expect(container.args).toContain('--config=/etc/kserve-llmd/webhook.yaml');
      expect(Object.keys(cm.data).sort()).toEqual(['autoscaler.yaml', 'webhook.yaml']);
      expect((container.ports as KObject[]).find((p) => p.name === 'metrics')?.containerPort).toBe(
        defaultControllerConfig().metricsPort,
      );
    },
  );
});
