/**
 * manifests/overlays/default as `kubectl apply -k` sends it: every object against the real schemas, the
 * invariants every container must keep, and the wiring between objects (webhook configuration → Service →
 * container port → CLI flags; Certificate → Secret → mount; ConfigMap → --config).
 */
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { AUTOSCALER_COMMAND } from '../../autoscaler/command.js';
import { parseFlags } from '../../src/cli-args.js';
import { parseWebhookConfig } from '../../src/config.js';
import { INSTALL_NAMESPACE, LABELS, WEBHOOK_CONFIGURATION_NAME } from '../../core/names.js';
import { SERVICE_ACCOUNTS } from '../../core/rbac.js';
import { WEBHOOK_COMMAND } from '../../webhooks/commands.js';
import { ISVC_PATH } from '../../webhooks/isvc/handler.js';
import { POD_PATH } from '../../webhooks/pod/handler.js';
import type { KObject } from '../support/kustomize.js';
import { schemaSourceFor, validateObject } from '../support/schema.js';
import { loadYamlDocuments } from '../support/kustomize.js';
import { build, containersOf, filesUnder, find, one, pinned, repo } from './helpers.js';

const install = (): KObject[] => build('manifests/overlays/default');
const control = (): KObject[] => install().filter((o) => o.kind !== 'ClusterServingRuntime');
const version = (JSON.parse(readFileSync(repo('package.json'), 'utf8')) as { version: string }).version;
const DEPLOYMENTS = ['webhook', 'controller', 'autoscaler'] as const;

describe('install: every object validates and lands in the right scope', () => {
  it('every object validates against the CRDs and Kubernetes 1.28 OpenAPI', () => {
    const problems = install().flatMap((o) => validateObject(o).map((e) => `${o.kind}/${o.metadata.name}: ${e}`));
    expect(problems).toEqual([]);
  });

  it('namespaced objects are in kserve-llmd, cluster-scoped ones carry no namespace', () => {
    for (const o of install()) {
      const source = schemaSourceFor({ apiVersion: o.apiVersion, kind: o.kind });
      const clusterScoped =
        source?.scope === 'Cluster' ||
        ['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'MutatingWebhookConfiguration'].includes(o.kind);
      expect([`${o.kind}/${o.metadata.name}`, o.metadata.namespace]).toEqual([
        `${o.kind}/${o.metadata.name}`,
        clusterScoped ? undefined : INSTALL_NAMESPACE,
      ]);
    }
  });

  it(
    'every object file under manifests/ and serving-runtimes/ ' + 'reaches a rendered overlay (nothing unvalidated)',
    () => {
      const rendered = new Set(
        [...build('manifests/overlays/production'), ...build('manifests/overlays/guarded'), ...install()].map(
          (o) => `${o.kind}/${o.metadata.name}`,
        ),
      );
      const objectFiles = [...filesUnder('manifests', ['.yaml']), ...filesUnder('serving-runtimes', ['.yaml'])].filter(
        (f) => !/(kustomization|patch)\.yaml$/.test(f) && !f.includes('/config/'),
      );
      expect(objectFiles.length).toBeGreaterThan(15);
      for (const file of objectFiles) {
        for (const o of loadYamlDocuments(file)) {
          const id = o.kind === 'ClusterServingRuntime' ? null : `${o.kind}/${o.metadata.name}`;
          if (id) expect([file, rendered.has(id)]).toEqual([file, true]);
        }
      }
    },
  );

  it('the Namespace enforces the restricted Pod Security Standard', () => {
    expect(one(install(), 'Namespace', INSTALL_NAMESPACE).metadata.labels['pod-security.kubernetes.io/enforce']).toBe(
      'restricted',
    );
  });
});

describe('install: container invariants', () => {
  it('every container and serving runtime image is pinned; ours is the package version', () => {
    for (const { owner, container } of containersOf(install()))
      expect([owner, pinned(container.image)]).toEqual([owner, true]);
    for (const { container } of containersOf(control()))
      expect(container.image).toBe(`ghcr.io/kserve-llmd/kserve-llmd:${version}`);
  });

  it(
    'every container runs non-root, read-only, without ' +
      'privilege escalation or capabilities, under RuntimeDefault seccomp',
    () => {
      for (const { owner, container } of containersOf(install())) {
        expect([owner, container.name, container.securityContext]).toEqual([
          owner,
          container.name,
          expect.objectContaining({
            runAsNonRoot: true,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          }),
        ]);
        expect(container.securityContext.capabilities.add).toBeUndefined();
      }
    },
  );

  it('every container has startup, readiness and liveness probes, CPU and memory requests and a memory limit', () => {
    for (const { owner, container } of containersOf(install())) {
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'])
        expect([owner, probe, container[probe] !== undefined]).toEqual([owner, probe, true]);
      expect([owner, Object.keys(container.resources?.requests ?? {}).sort()]).toEqual([
        owner,
        expect.arrayContaining(['cpu', 'memory']),
      ]);
      expect([owner, container.resources?.limits?.memory !== undefined]).toEqual([owner, true]);
    }
  });
});

describe('install: workloads', () => {
  it.each(DEPLOYMENTS)(
    '%s: two replicas spread over nodes, a PodDisruptionBudget, its own ServiceAccount',
    (component) => {
      const d = one(install(), 'Deployment', `kserve-llmd-${component}`);
      expect(d.spec.replicas).toBe(2);
      expect(d.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
      const podLabels = d.spec.template.metadata.labels;
      expect(d.spec.selector.matchLabels).toEqual(podLabels);
      const spread = d.spec.template.spec.topologySpreadConstraints as KObject[];
      expect(spread.map((t) => t.topologyKey)).toContain('kubernetes.io/hostname');
      for (const t of spread) expect(t.labelSelector.matchLabels).toEqual(podLabels);
      const pdb = one(install(), 'PodDisruptionBudget', `kserve-llmd-${component}`);
      expect(pdb.spec.selector.matchLabels).toEqual(podLabels);
      expect(pdb.spec.minAvailable).toBeLessThan(d.spec.replicas);
      expect(d.spec.template.spec.serviceAccountName).toBe(SERVICE_ACCOUNTS[component]);
      expect(find(install(), 'ServiceAccount', SERVICE_ACCOUNTS[component])).toHaveLength(1);
      // Runs the image's user (Dockerfile USER 1000) and reads its config from the mounted ConfigMap.
      expect(d.spec.template.spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 1000,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      const args = d.spec.template.spec.containers[0].args as string[];
      expect(args[0]).toBe(component);
      const configArg = args.find((a) => a.startsWith('--config='))!.slice('--config='.length);
      const mount = (d.spec.template.spec.containers[0].volumeMounts as KObject[]).find((m) =>
        configArg.startsWith(`${m.mountPath}/`),
      )!;
      const volume = (d.spec.template.spec.volumes as KObject[]).find((v) => v.name === mount.name)!;
      expect(mount.subPath).toBeUndefined();
      expect(Object.keys(one(install(), 'ConfigMap', volume.configMap.name).data)).toContain(
        configArg.slice(mount.mountPath.length + 1),
      );
    },
  );

  it('Services select their Deployment’s pods and target a declared container port', () => {
    for (const svc of find(install(), 'Service')) {
      const d = find(install(), 'Deployment').find((x) =>
        Object.entries(svc.spec.selector).every(([k, v]) => x.spec.template.metadata.labels[k] === v),
      )!;
      expect([svc.metadata.name, d !== undefined]).toEqual([svc.metadata.name, true]);
      const ports = (d.spec.template.spec.containers as KObject[]).flatMap((c) => c.ports ?? []);
      for (const p of svc.spec.ports)
        expect(ports.some((cp: KObject) => cp.name === p.targetPort || cp.containerPort === p.targetPort)).toBe(true);
    }
  });

  it('the webhook mounts a token only to read GET /version (nativeSidecars: auto), and has no RBAC rules', () => {
    const cm = one(install(), 'ConfigMap', 'kserve-llmd-config');
    expect(parseWebhookConfig(yaml.load(cm.data['webhook.yaml'])).nativeSidecars).toBe('auto');
    expect(one(install(), 'Deployment', 'kserve-llmd-webhook').spec.template.spec.automountServiceAccountToken).toBe(
      true,
    );
    const bindings = [...find(install(), 'ClusterRoleBinding'), ...find(install(), 'RoleBinding')];
    expect(bindings.filter((b) => (b.subjects as KObject[]).some((s) => s.name === SERVICE_ACCOUNTS.webhook))).toEqual(
      [],
    );
  });

  it(
    'the webhook config file in the ConfigMap parses with the ' +
      'webhook’s own config parser, and its flags parse with its CLI',
    () => {
      const cm = one(install(), 'ConfigMap', 'kserve-llmd-config');
      const config = parseWebhookConfig(yaml.load(cm.data['webhook.yaml']));
      const args = one(install(), 'Deployment', 'kserve-llmd-webhook').spec.template.spec.containers[0]
        .args as string[];
      const { values } = parseFlags(args.slice(1), WEBHOOK_COMMAND);
      expect(values.port).toBe(config.port);
      const container = one(install(), 'Deployment', 'kserve-llmd-webhook').spec.template.spec.containers[0];
      expect(container.ports[0].containerPort).toBe(values.port);
      expect((container.ports as KObject[]).find((p) => p.name === 'metrics')?.containerPort).toBe(config.metricsPort);
    },
  );

  it('the webhook pod is given the time its SIGTERM drain takes: drain delay + shutdown timeout, with room', () => {
    const cm = one(install(), 'ConfigMap', 'kserve-llmd-config');
    const config = parseWebhookConfig(yaml.load(cm.data['webhook.yaml']));
    const pod = one(install(), 'Deployment', 'kserve-llmd-webhook').spec.template.spec;
    expect(config.drainDelaySeconds).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(
      config.drainDelaySeconds + config.shutdownTimeoutSeconds + 5,
    );
    // The in-flight reviews it waits for are bounded by the webhooks' own timeouts.
    const webhooks = one(install(), 'MutatingWebhookConfiguration', WEBHOOK_CONFIGURATION_NAME).webhooks as KObject[];
    for (const w of webhooks) expect(w.timeoutSeconds).toBeLessThanOrEqual(config.shutdownTimeoutSeconds);
  });

  it('the autoscaler’s flags parse with its CLI and its probes hit the metrics port it serves /healthz on', () => {
    const container = one(install(), 'Deployment', 'kserve-llmd-autoscaler').spec.template.spec.containers[0];
    expect(() => parseFlags(container.args.slice(1), AUTOSCALER_COMMAND)).not.toThrow();
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'])
      expect(container[probe].httpGet).toMatchObject({ port: 'metrics' });
  });
});

describe('install: the MutatingWebhookConfiguration', () => {
  const config = (): KObject => one(install(), 'MutatingWebhookConfiguration', WEBHOOK_CONFIGURATION_NAME);
  const hook = (name: string): KObject => (config().webhooks as KObject[]).find((w) => w.name === name)!;

  it('sorts after KServe’s configuration and before Knative’s (the API server orders by name)', () => {
    const names = ['inferenceservice.serving.kserve.io', WEBHOOK_CONFIGURATION_NAME, 'webhook.serving.knative.dev'];
    expect([...names].sort()).toEqual(names);
  });

  it('reaches the webhook Service, whose target port is the container’s HTTPS port, on the handlers’ paths', () => {
    const svc = one(install(), 'Service', 'kserve-llmd-webhook');
    const container = one(install(), 'Deployment', 'kserve-llmd-webhook').spec.template.spec.containers[0];
    for (const w of config().webhooks as KObject[]) {
      expect(w.clientConfig.service).toMatchObject({ name: svc.metadata.name, namespace: INSTALL_NAMESPACE });
      const port = (svc.spec.ports as KObject[]).find((p) => p.port === w.clientConfig.service.port)!;
      expect((container.ports as KObject[]).find((p) => p.name === port.targetPort)?.containerPort).toBe(8443);
    }
    expect(hook('inferenceservice.kserve-llmd.io').clientConfig.service.path).toBe(ISVC_PATH);
    expect(hook('pod.kserve-llmd.io').clientConfig.service.path).toBe(POD_PATH);
  });

  it(
    'failure policy per webhook, no side effects, bounded ' +
      'timeouts, reinvocation, and never kube-system or our namespace',
    () => {
      expect(hook('inferenceservice.kserve-llmd.io').failurePolicy).toBe('Fail');
      expect(hook('pod.kserve-llmd.io').failurePolicy).toBe('Ignore');
      for (const w of config().webhooks as KObject[]) {
        expect(w).toMatchObject({
          sideEffects: 'None',
          reinvocationPolicy: 'IfNeeded',
          admissionReviewVersions: ['v1'],
        });
        expect(w.timeoutSeconds).toBeLessThanOrEqual(10);
        expect(w.namespaceSelector.matchExpressions).toContainEqual({
          key: 'kubernetes.io/metadata.name',
          operator: 'NotIn',
          values: expect.arrayContaining(['kube-system', INSTALL_NAMESPACE]),
        });
      }
      expect(hook('inferenceservice.kserve-llmd.io').rules).toEqual([
        expect.objectContaining({ resources: ['inferenceservices'], operations: ['CREATE', 'UPDATE'] }),
      ]);
      expect(hook('pod.kserve-llmd.io').rules).toEqual([
        expect.objectContaining({ resources: ['pods'], operations: ['CREATE'] }),
      ]);
      expect(hook('pod.kserve-llmd.io').objectSelector.matchExpressions).toEqual([
        { key: LABELS.pool, operator: 'Exists' },
      ]);
    },
  );

  /**
   * The matchCondition evaluated on real objects. No CEL interpreter is available, so the expression is
   * translated for exactly the constructs it uses (has(), map.exists(k, …), string.startsWith); any other
   * construct fails the translation and this test.
   */
  function celToJs(expr: string): (object: KObject) => boolean {
    const js = expr
      .replace(/has\(object\.metadata\.(\w+)\)/g, '(object.metadata.$1 !== undefined)')
      .replace(
        /object\.metadata\.annotations\.exists\((\w+),\s*/g,
        'Object.keys(object.metadata.annotations).some(($1) => ',
      )
      .replace(/(\w+)\.startsWith\('([^']*)'\)/g, "$1.startsWith('$2')");
    if (/\bexists\(|\bhas\(|\ball\(|\bsize\(/.test(js)) throw new Error(`untranslated CEL in ${expr}`);
    return new Function('object', `return ${js};`) as (object: KObject) => boolean;
  }

  it('matchConditions: only services with kserve-llmd.io/ annotations (defaulted too), never terminating ones', () => {
    const conditions = hook('inferenceservice.kserve-llmd.io').matchConditions as KObject[];
    expect(conditions.map((c) => c.name)).toEqual(['has-kserve-llmd-annotation', 'not-terminating']);
    // The API server calls the webhook only when every condition holds.
    const each = conditions.map((c) => celToJs(c.expression as string));
    const match = (o: KObject): boolean => each.every((m) => m(o));
    const isvc = (annotations?: Record<string, string>, deletionTimestamp?: string): KObject => ({
      metadata: {
        name: 'x',
        ...(annotations ? { annotations } : {}),
        ...(deletionTimestamp ? { deletionTimestamp } : {}),
      },
    });
    expect(match(isvc({ 'kserve-llmd.io/routing': 'prefix-aware' }, '2025-01-01T00:00:00Z'))).toBe(false);
    expect(match(isvc({ 'kserve-llmd.io/routing': 'prefix-aware' }))).toBe(true);
    expect(match(isvc({ 'kserve-llmd.io/defaulted': '{}' }))).toBe(true);
    expect(match(isvc({ 'serving.kserve.io/deploymentMode': 'Knative', 'example.com/kserve-llmd.io': 'x' }))).toBe(
      false,
    );
    expect(match(isvc())).toBe(false);
    expect(match(isvc({}))).toBe(false);
  });

  it('cert-manager injects the CA of the Certificate whose Secret the webhook mounts as a directory', () => {
    const [ns, name] = (config().metadata.annotations['cert-manager.io/inject-ca-from'] as string).split('/');
    expect(ns).toBe(INSTALL_NAMESPACE);
    const cert = one(install(), 'Certificate', name!);
    expect(cert.spec.dnsNames).toContain(`kserve-llmd-webhook.${INSTALL_NAMESPACE}.svc`);
    const issuer = one(install(), 'Issuer', cert.spec.issuerRef.name);
    expect(one(install(), 'Certificate', issuer.spec.ca.secretName.replace(/-tls$/, '')).spec.isCA).toBe(true);
    const pod = one(install(), 'Deployment', 'kserve-llmd-webhook').spec.template.spec;
    const volume = (pod.volumes as KObject[]).find((v) => v.secret?.secretName === cert.spec.secretName)!;
    const mount = (pod.containers[0].volumeMounts as KObject[]).find((m) => m.name === volume.name)!;
    expect(mount.subPath).toBeUndefined();
    expect(pod.containers[0].args).toContain(`--cert-dir=${mount.mountPath}`);
  });
});
