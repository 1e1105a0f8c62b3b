import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import {
  expectInvalid,
  expectValid,
  getSchemaWarnings,
  labelValueError,
  qualifiedNameError,
  schemaSourceFor,
  SCHEMAS_DIR,
  validateAs,
  validateDefinition,
  validateObject,
  validatePodSpec,
} from './schema.js';

type Obj = Record<string, unknown>;
const clone = <T>(o: T): T => structuredClone(o);

function isvc(): Obj {
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: {
      name: 'llama-3-8b',
      namespace: 'models',
      labels: { 'app.kubernetes.io/name': 'llama' },
      annotations: { 'serving.kserve.io/deploymentMode': 'RawDeployment' },
    },
    spec: {
      predictor: {
        minReplicas: 1,
        maxReplicas: 2,
        model: {
          modelFormat: { name: 'vLLM' },
          storageUri: 'hf://meta-llama/Meta-Llama-3-8B-Instruct',
          args: ['--max-model-len=8192'],
          env: [{ name: 'HF_HOME', value: '/tmp/hf' }],
          resources: {
            limits: { 'nvidia.com/gpu': '1', cpu: '4', memory: '32Gi' },
            requests: { cpu: 2, memory: '16Gi' },
          },
        },
      },
    },
  };
}

function pod(): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'vllm-0', namespace: 'models', labels: { app: 'vllm', 'llm-d.ai/role': 'decode' } },
    spec: {
      initContainers: [
        // native sidecar: initContainers[].restartPolicy Always exists in the 1.28 schema
        {
          name: 'routing-sidecar',
          image: 'ghcr.io/llm-d/routing-sidecar:v0.2.0',
          restartPolicy: 'Always',
          ports: [{ containerPort: 8000 }],
        },
      ],
      containers: [
        {
          name: 'vllm',
          image: 'vllm/vllm-openai:v0.10.0',
          args: ['--port', '8001'],
          ports: [{ containerPort: 8001, name: 'http', protocol: 'TCP' }],
          env: [
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            { name: 'VLLM_LOGGING_LEVEL', value: 'INFO' },
          ],
          resources: { limits: { 'nvidia.com/gpu': '1', memory: '64Gi' }, requests: { cpu: '500m', memory: '32Gi' } },
          volumeMounts: [{ name: 'dshm', mountPath: '/dev/shm' }],
          readinessProbe: { httpGet: { path: '/health', port: 'http' }, periodSeconds: 5 },
        },
      ],
      volumes: [{ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '20Gi' } }],
      terminationGracePeriodSeconds: 30,
    },
  };
}

function inferencePool(): Obj {
  return {
    apiVersion: 'inference.networking.k8s.io/v1',
    kind: 'InferencePool',
    metadata: { name: 'llama-pool', namespace: 'models' },
    spec: {
      selector: { matchLabels: { app: 'vllm' } },
      targetPorts: [{ number: 8000 }],
      endpointPickerRef: { name: 'llama-epp', port: { number: 9002 } },
    },
  };
}

function podTemplate(): Obj {
  const p = pod();
  return { metadata: { labels: { app: 'vllm' } }, spec: p['spec'] };
}

describe('validateObject: InferenceService (serving.kserve.io/v1beta1)', () => {
  it('accepts a minimal vLLM InferenceService', () => {
    expect(validateObject(isvc())).toEqual([]);
    expectValid(isvc());
  });

  it('rejects an unknown field in spec.predictor', () => {
    const o = clone(isvc()) as { spec: { predictor: Obj } };
    o.spec.predictor['replicas'] = 2;
    expect(validateObject(o)).toEqual(['spec.predictor.replicas: unknown field "replicas"']);
    expect(() => expectValid(o)).toThrow(/spec\.predictor\.replicas: unknown field/);
  });

  it('rejects minReplicas as a string', () => {
    const o = clone(isvc()) as { spec: { predictor: Obj } };
    o.spec.predictor['minReplicas'] = '1';
    expect(validateObject(o)).toEqual(['spec.predictor.minReplicas: must be of type integer']);
  });

  it('checks quantities, list-map keys, required fields and labels inside the CRD', () => {
    const o = clone(isvc()) as { metadata: { labels: Obj }; spec: { predictor: { model: Obj } } };
    const model = o.spec.predictor.model as { resources: { limits: Obj }; env: Obj[] };
    model.resources.limits['memory'] = '32 GB';
    model.env.push({ name: 'HF_HOME', value: '/other' });
    (o.spec.predictor.model as { modelFormat: Obj }).modelFormat = { version: '1' };
    o.metadata.labels['bad'] = '-x-';
    const errors = validateObject(o);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^spec\.predictor\.model\.resources\.limits\.memory: must match pattern/),
        expect.stringMatching(/^spec\.predictor\.model\.env\[1\]: duplicate entry with key \[name="HF_HOME"\]/),
        'spec.predictor.model.modelFormat.name: required field "name" is missing',
        expect.stringMatching(/^metadata\.labels\.bad: invalid label value "-x-"/),
      ]),
    );
    expect(errors).toHaveLength(4);
  });

  it('rejects duplicate container names in an inlined pod spec, and an invalid metadata.name', () => {
    const o = clone(isvc()) as { metadata: Obj; spec: { predictor: Obj } };
    o.spec.predictor['containers'] = [
      { name: 'kserve-container', image: 'a' },
      { name: 'kserve-container', image: 'b' },
    ];
    o.metadata['name'] = 'Llama_3';
    const errors = validateObject(o);
    expect(errors).toContain(
      'spec.predictor.containers[1].name: duplicate container ' +
        'name "kserve-container" (also at ' +
        'spec.predictor.containers[0].name)',
    );
    expect(errors.some((e) => e.startsWith('metadata.name: "Llama_3" must be a lowercase RFC 1123 subdomain'))).toBe(
      true,
    );
  });

  it('rejects null for a non-nullable field', () => {
    const o = clone(isvc()) as { spec: { predictor: Obj } };
    o.spec.predictor['maxReplicas'] = null;
    expect(validateObject(o)).toEqual(['spec.predictor.maxReplicas: must be of type integer']);
  });

  it('uses the project copy of the KServe v0.20.0 CRD', () => {
    const src = schemaSourceFor({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService' });
    expect(src).toMatchObject({ source: 'crd', scope: 'Namespaced' });
    expect(path.relative(SCHEMAS_DIR, src?.file ?? '')).toBe('crds/kserve/serving.kserve.io_inferenceservices.yaml');
  });

  it('validateAs validates a nested part of a kind', () => {
    const gvk = { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService' };
    const predictor = (isvc() as { spec: { predictor: Obj } }).spec.predictor;
    expect(validateAs(predictor, gvk, 'spec.predictor')).toEqual([]);
    expect(validateAs({ ...predictor, bogus: true }, gvk, 'spec.predictor')).toEqual(['bogus: unknown field "bogus"']);
    expect(validateAs({}, gvk, 'spec.nope')).toEqual(['(root): InferenceService has no field spec.nope']);
    const container = { name: 'c', image: 'i', resources: { limits: { cpu: '1' } } };
    const dep = { apiVersion: 'apps/v1', kind: 'Deployment' };
    expect(validateAs(container, dep, 'spec.template.spec.containers[]')).toEqual([]);
    expect(validateAs({ ...container, imagePullPolicy: 'Sometimes' }, dep, 'spec.template.spec.containers[]')).toEqual([
      'imagePullPolicy: must be one of "Always", "IfNotPresent", "Never"',
    ]);
  });
});

describe('validateObject: core/v1 Pod (Kubernetes 1.28 OpenAPI)', () => {
  it('accepts a pod with a native sidecar, a memory emptyDir, a downward-API env var and string quantities', () => {
    expect(validateObject(pod())).toEqual([]);
    expect(schemaSourceFor({ apiVersion: 'v1', kind: 'Pod' })).toMatchObject({
      source: 'openapi',
      name: 'io.k8s.api.core.v1.Pod',
    });
  });

  it('accepts numeric quantities and int-or-string ports as the API server does', () => {
    const p = clone(pod()) as { spec: { containers: { resources: { requests: Obj } }[] } };
    const c = p.spec.containers[0];
    if (c) c.resources.requests['cpu'] = 0.5;
    expect(validateObject(p)).toEqual([]);
  });

  it('rejects two containers with the same name (also across initContainers)', () => {
    const p = clone(pod()) as { spec: { containers: Obj[] } };
    p.spec.containers.push({ name: 'vllm', image: 'busybox' });
    p.spec.containers.push({ name: 'routing-sidecar', image: 'busybox' });
    expect(validateObject(p)).toEqual([
      'spec.containers[1].name: duplicate container name "vllm" (also at spec.containers[0].name)',
      'spec.containers[2].name: duplicate container name "routing-sidecar" (also at spec.initContainers[0].name)',
    ]);
  });

  it('rejects an unknown field', () => {
    const p = clone(pod()) as { spec: { containers: Obj[] } };
    (p.spec.containers[0] as Obj)['gpu'] = 1;
    expect(validateObject(p)).toEqual(['spec.containers[0].gpu: unknown field "gpu"']);
  });

  it('rejects invalid label values and keys', () => {
    const p = clone(pod()) as { metadata: { labels: Obj } };
    p.metadata.labels['model'] = 'meta-llama/Llama-3-8B';
    p.metadata.labels['-bad-key'] = 'x';
    p.metadata.labels['too-long'] = 'a'.repeat(64);
    expect(validateObject(p)).toEqual([
      'metadata.labels.model: invalid label value ' +
        '"meta-llama/Llama-3-8B": must be empty or consist of ' +
        "alphanumerics, '-', '_' or '.', starting and ending with an " +
        'alphanumeric',
      'metadata.labels["-bad-key"]: invalid label key ' +
        '"-bad-key": name part must consist of alphanumerics, \'-\', ' +
        "'_' or '.', and must start and end with an alphanumeric",
      `metadata.labels.too-long: invalid label value "${'a'.repeat(64)}": must be no more than 63 characters`,
    ]);
  });

  it('checks list-map keys with defaults, volume references, quantities and enums', () => {
    const p = clone(pod()) as { spec: { containers: Obj[]; volumes: Obj[] } };
    const c = p.spec.containers[0] as { ports: Obj[]; volumeMounts: Obj[]; env: Obj[]; resources: { limits: Obj } };
    c.ports.push({ containerPort: 8001 }); // protocol defaults to TCP → same key as ports[0]
    c.volumeMounts.push({ name: 'missing', mountPath: '/data' });
    c.env.push({ name: 'POD_IP', value: 'x' });
    c.resources.limits['memory'] = '64GB!';
    (p.spec.volumes[0] as { emptyDir: Obj }).emptyDir['medium'] = 3;
    expect(validateObject(p)).toEqual([
      'spec.containers[0].ports[1]: duplicate entry with key ' +
        '[containerPort=8001,protocol="TCP"] (first at index 0); ' +
        'list-type map requires unique keys',
      expect.stringMatching(/^spec\.containers\[0\]\.resources\.limits\.memory: must match pattern/),
      'spec.volumes[0].emptyDir.medium: must be of type string',
      'spec.containers[0].env[2].name: duplicate env var name ' +
        '(the later entry silently overrides the earlier one) ' +
        '"POD_IP" (also at spec.containers[0].env[0].name)',
      'spec.containers[0].volumeMounts[1].name: volume "missing" not found in the pod\'s volumes',
    ]);
  });

  it('validatePodSpec / validateDefinition', () => {
    expect(validatePodSpec((pod() as { spec: unknown }).spec)).toEqual([]);
    expect(validatePodSpec({ containers: [{ image: 'x' }] })).toEqual([
      'spec.containers[0].name: required field "name" is missing'.replace('spec.', ''),
    ]);
    expect(validatePodSpec({})).toEqual(['containers: required field "containers" is missing']);
    expect(validateDefinition({ name: 'x', value: 1 }, 'io.k8s.api.core.v1.EnvVar')).toEqual([
      'value: must be of type string',
    ]);
  });

  it('requires metadata.name (or generateName) and the kind-specific name syntax', () => {
    const p = clone(pod()) as { metadata: Obj };
    delete p.metadata['name'];
    expect(validateObject(p)).toEqual(['metadata.name: name or generateName is required']);
    p.metadata['generateName'] = 'vllm-';
    expect(validateObject(p)).toEqual([]);
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: '1-svc' },
      spec: { ports: [{ port: 80, targetPort: 'http' }] },
    };
    expect(validateObject(svc)).toEqual([
      expect.stringMatching(/^metadata\.name: "1-svc" must be a lowercase RFC 1035 label/),
    ]);
  });
});

describe('validateObject: Gateway API Inference Extension InferencePool (inference.networking.k8s.io/v1)', () => {
  it('accepts a valid pool, resolved from the project copy of GIE v1.6.0', () => {
    expect(validateObject(inferencePool())).toEqual([]);
    const src = schemaSourceFor({ apiVersion: 'inference.networking.k8s.io/v1', kind: 'InferencePool' });
    expect(path.basename(src?.file ?? '')).toBe('inference.networking.k8s.io_inferencepools.yaml');
  });

  it('rejects a pool without a selector', () => {
    const p = clone(inferencePool()) as { spec: Obj };
    delete p.spec['selector'];
    expect(validateObject(p)).toEqual(['spec.selector: required field "selector" is missing']);
  });

  it('rejects out-of-range ports and a bad selector label value', () => {
    const p = clone(inferencePool()) as { spec: { targetPorts: Obj[]; selector: { matchLabels: Obj } } };
    p.spec.targetPorts = [{ number: 70000 }];
    p.spec.selector.matchLabels['app'] = 'a b';
    const errors = validateObject(p);
    expect(errors).toEqual(
      expect.arrayContaining([
        'spec.targetPorts[0].number: must be <= 65535',
        expect.stringMatching(/^spec\.selector\.matchLabels\.app: must match pattern/),
      ]),
    );
  });

  it('knows no legacy x-k8s.io v1alpha2 pool: the project emits only the v1 API', () => {
    const src = schemaSourceFor({ apiVersion: 'inference.networking.x-k8s.io/v1alpha2', kind: 'InferencePool' });
    expect(src).toBeUndefined();
  });
});

describe('validateObject: other CRDs', () => {
  it('Knative PodAutoscaler', () => {
    const pa = {
      apiVersion: 'autoscaling.internal.knative.dev/v1alpha1',
      kind: 'PodAutoscaler',
      metadata: {
        name: 'llama-predictor-00001',
        namespace: 'models',
        annotations: { 'autoscaling.knative.dev/class': 'kpa.autoscaling.knative.dev' },
      },
      spec: {
        protocolType: 'http1',
        reachability: 'Reachable',
        containerConcurrency: 0,
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'llama-predictor-00001-deployment' },
      },
    };
    expect(validateObject(pa)).toEqual([]);
    expectInvalid(
      { ...pa, spec: { ...pa.spec, protocolType: undefined, minScale: 1 } },
      'spec.minScale: unknown field "minScale"',
    );
  });

  it('Gateway API HTTPRoute with a backendRef to an InferencePool', () => {
    const route = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'llama', namespace: 'models' },
      spec: {
        parentRefs: [{ name: 'inference-gateway', namespace: 'gateways' }],
        rules: [
          {
            matches: [{ path: { type: 'PathPrefix', value: '/v1' } }],
            backendRefs: [
              {
                group: 'inference.networking.k8s.io',
                kind: 'InferencePool',
                name: 'llama-pool',
                port: 8000,
                weight: 1,
              },
            ],
            timeouts: { request: '300s' },
          },
        ],
      },
    };
    expect(validateObject(route)).toEqual([]);
    const bad = clone(route) as { spec: { rules: { matches: { path: Obj }[] }[] } };
    const m = bad.spec.rules[0]?.matches[0];
    if (m) m.path['type'] = 'Prefix';
    (bad.spec.rules[0] as Obj)['filters'] = [
      { type: 'RequestHeaderModifier', requestHeaderModifier: { remove: ['x-debug', 'x-debug'] } },
    ];
    expect(validateObject(bad)).toEqual([
      'spec.rules[0].filters[0].requestHeaderModifier.remove[1]: ' +
        'duplicate value "x-debug" (first at index 0); list-type set ' +
        'requires unique values',
      'spec.rules[0].matches[0].path.type: must be one of "Exact", "PathPrefix", "RegularExpression"',
    ]);
  });

  it('cert-manager Certificate', () => {
    const cert = {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'kserve-llmd-webhook', namespace: 'kserve' },
      spec: {
        secretName: 'kserve-llmd-webhook-tls',
        dnsNames: ['kserve-llmd-webhook.kserve.svc', 'kserve-llmd-webhook.kserve.svc.cluster.local'],
        duration: '2160h',
        issuerRef: { kind: 'Issuer', name: 'selfsigned' },
        privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      },
    };
    expect(validateObject(cert)).toEqual([]);
    const bad = clone(cert) as { spec: Obj };
    delete bad.spec['secretName'];
    bad.spec['privateKey'] = { algorithm: 'DSA' };
    expect(validateObject(bad)).toEqual([
      'spec.secretName: required field "secretName" is missing',
      'spec.privateKey.algorithm: must be one of "RSA", "ECDSA", "Ed25519"',
    ]);
  });
});

describe('validateObject: other built-in kinds (Kubernetes 1.28)', () => {
  it('MutatingWebhookConfiguration with matchConditions (beta, present in the 1.28 schema)', () => {
    const mwc = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'kserve-llmd' },
      webhooks: [
        {
          name: 'isvc.kserve-llmd.io',
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
          failurePolicy: 'Fail',
          reinvocationPolicy: 'IfNeeded',
          timeoutSeconds: 10,
          clientConfig: {
            service: { name: 'kserve-llmd-webhook', namespace: 'kserve', path: '/mutate', port: 443 },
            caBundle: Buffer.from('pem').toString('base64'),
          },
          rules: [
            {
              apiGroups: ['serving.kserve.io'],
              apiVersions: ['v1beta1'],
              operations: ['CREATE', 'UPDATE'],
              resources: ['inferenceservices'],
              scope: 'Namespaced',
            },
          ],
          matchConditions: [
            {
              name: 'has-llmd-annotation',
              expression: "has(object.metadata.annotations) && 'llm-d.ai/enabled' in object.metadata.annotations",
            },
          ],
          namespaceSelector: {
            matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }],
          },
        },
      ],
    };
    expect(validateObject(mwc)).toEqual([]);
    const bad = clone(mwc) as { webhooks: { matchConditions: Obj[]; clientConfig: Obj }[] };
    const wh = bad.webhooks[0];
    if (wh) {
      wh.matchConditions.push({ name: 'has-llmd-annotation', expression: 'true' });
      wh.clientConfig['caBundle'] = 'not base64!';
    }
    expect(validateObject(bad)).toEqual([
      'webhooks[0].clientConfig.caBundle: must match format "byte"',
      'webhooks[0].matchConditions[1]: duplicate entry with key ' +
        '[name="has-llmd-annotation"] (first at index 0); list-type ' +
        'map requires unique keys',
    ]);
  });

  it('RBAC Role', () => {
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'kserve-llmd:autoscaler', namespace: 'kserve' },
      rules: [
        {
          apiGroups: ['serving.kserve.io'],
          resources: ['inferenceservices', 'inferenceservices/status'],
          verbs: ['get', 'list', 'watch', 'patch'],
        },
      ],
    };
    expect(validateObject(role)).toEqual([]);
    expect(validateObject({ ...role, rules: [{ resources: ['pods'] }] })).toEqual([
      'rules[0].verbs: required field "verbs" is missing',
    ]);
  });

  it('Deployment (pod template labels are checked too)', () => {
    const dep = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'kserve-llmd-webhook', namespace: 'kserve', labels: { app: 'kserve-llmd' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'kserve-llmd' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
        template: podTemplate(),
      },
    };
    expect(validateObject(dep)).toEqual([]);
    const bad = clone(dep) as unknown as { spec: { replicas: unknown; template: { metadata: { labels: Obj } } } };
    bad.spec.template.metadata.labels['app'] = 'kserve llmd';
    bad.spec.replicas = '2';
    expect(validateObject(bad)).toEqual([
      'spec.replicas: must be of type integer',
      expect.stringMatching(/^spec\.template\.metadata\.labels\.app: invalid label value "kserve llmd"/),
    ]);
  });

  it('PodDisruptionBudget', () => {
    const pdb = {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'kserve-llmd-webhook', namespace: 'kserve' },
      spec: {
        maxUnavailable: 1,
        selector: { matchLabels: { app: 'kserve-llmd' } },
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    };
    expect(validateObject(pdb)).toEqual([]);
    expect(validateObject({ ...pdb, spec: { ...pdb.spec, minAvailable: '50%', maxUnavailable: true } })).toEqual([
      'spec.maxUnavailable: must be of type integer or string',
    ]);
  });

  it('Lease, ConfigMap', () => {
    expectValid({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'kserve-llmd-autoscaler', namespace: 'kserve' },
      spec: { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: '2024-01-01T00:00:00.000000Z' },
    });
    expectValid({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { 'a.yaml': 'x: 1' } });
    expectInvalid(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { n: 1 } },
      'data.n: must be of type string',
    );
  });
});

describe('validateObject: unknown kinds and helpers', () => {
  it('reports an unknown apiVersion/kind', () => {
    const errors = validateObject({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/no schema is known for apiVersion "example\.com\/v1", kind "Widget"/);
    expect(validateObject({ apiVersion: 'v1', kind: 'Podd', metadata: { name: 'w' } })[0]).toMatch(
      /no schema is known/,
    );
    expect(
      validateObject({ apiVersion: 'serving.kserve.io/v1', kind: 'InferenceService', metadata: { name: 'w' } })[0],
    ).toMatch(/no schema is known/);
    expect(validateObject({ kind: 'Pod' })).toEqual(['(root): apiVersion and kind must be non-empty strings']);
    expect(validateObject('nope')).toEqual(['(root): must be an object']);
  });

  it('expectValid throws with every error listed', () => {
    const p = clone(pod()) as { spec: Obj };
    p.spec['foo'] = 1;
    p.spec['bar'] = 2;
    expect(() => expectValid(p)).toThrow(
      'v1 Pod models/vllm-0 is not valid (2 errors):\n  - ' +
        'spec.foo: unknown field "foo"\n  - spec.bar: unknown field "bar"',
    );
    expect(() => expectInvalid(pod())).toThrow(/expected to be invalid/);
  });

  it('label helpers follow the Kubernetes rules', () => {
    expect(labelValueError('')).toBeUndefined();
    expect(labelValueError('v1.2_3-a')).toBeUndefined();
    expect(labelValueError('a/b')).toBeDefined();
    expect(qualifiedNameError('app.kubernetes.io/name')).toBeUndefined();
    expect(qualifiedNameError(`${'a'.repeat(254)}/x`)).toBeDefined();
    expect(qualifiedNameError('Example.com/x')).toBeDefined();
    expect(qualifiedNameError('a/b/c')).toBeDefined();
  });

  it('every pattern in the loaded schemas compiled as a JavaScript RegExp', () => {
    expect(getSchemaWarnings()).toEqual([]);
  });
});

describe('shipped KServe v0.20.0 manifests (schemas/upstream/kserve) validate', () => {
  const root = path.join(SCHEMAS_DIR, 'upstream', 'kserve');
  const files = ['runtimes', 'webhooks'].flatMap((d) =>
    existsSync(path.join(root, d))
      ? readdirSync(path.join(root, d))
          .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
          .map((f) => path.join(d, f))
      : [],
  );

  it('finds the example files', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
  });

  it.each(files)('%s', (file) => {
    const docs = yaml
      .loadAll(readFileSync(path.join(root, file), 'utf8'))
      .filter((d) => d !== null && typeof d === 'object');
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) expectValid(d);
  });
});
