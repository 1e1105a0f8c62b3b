import fastJsonPatch from 'fast-json-patch';
import { defaultWebhookConfig } from '../../src/config.js';
import type { AdmissionResponse } from '../../webhooks/admission-types.js';
import type { Container, Pod } from '../../src/types/kube.js';
import { createPodHandler } from '../../webhooks/pod/handler.js';
import { knativePod, review } from '../support/fixtures.js';
import { expectValid } from '../support/schema.js';

const P = 'kserve-llmd.io/';
const injection = defaultWebhookConfig().injection;
const handler = createPodHandler(injection);

const labels = (role: string) => ({
  'kserve-llmd.io/pool': 'llama',
  'llm-d.ai/role': role,
  'llm-d.ai/model': 'llama',
  'llm-d.ai/inference-serving': 'true',
});

function admit(pod: Pod): AdmissionResponse {
  return handler(review(pod, 'CREATE', 'Pod').request!);
}

function mutated(pod: Pod): Pod {
  const response = admit(pod);
  expect(response.allowed).toBe(true);
  const ops = response.patch ? JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) : [];
  const out = fastJsonPatch.applyPatch(structuredClone(pod), ops, true, false).newDocument as Pod;
  expectValid(out);
  return out;
}

const main = (pod: Pod): Container => pod.spec!.containers.find((c) => c.name === 'kserve-container')!;
const argValue = (c: Container, flag: string): unknown => {
  const i = (c.args ?? []).indexOf(flag);
  return i >= 0 ? JSON.parse(c.args![i + 1]!) : undefined;
};

describe('prefill/decode wiring', () => {
  it('decode pod: sidecar on the serving port, vLLM moved behind it, NIXL, /dev/shm', () => {
    const out = mutated(knativePod(labels('decode'), { [`${P}disaggregation`]: 'prefill-decode' }));
    const vllm = main(out);
    expect(vllm.args).toContain('--port=8200');
    expect(vllm.args).not.toContain('--port=8000');
    expect(vllm.ports?.[0]).toMatchObject({ containerPort: 8200, name: 'user-port' });
    expect((vllm.readinessProbe as any).httpGet.port).toBe(8200);
    expect((vllm.startupProbe as any).httpGet.port).toBe(8200);
    expect(argValue(vllm, '--kv-transfer-config')).toEqual({ kv_connector: 'NixlConnector', kv_role: 'kv_both' });
    expect(vllm.env).toEqual(
      expect.arrayContaining([
        { name: 'VLLM_NIXL_SIDE_CHANNEL_HOST', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'VLLM_NIXL_SIDE_CHANNEL_PORT', value: '5600' },
      ]),
    );
    expect(vllm.ports).toContainEqual({ containerPort: 5600, name: 'nixl', protocol: 'TCP' });
    expect(vllm.volumeMounts).toContainEqual({ name: 'kserve-llmd-shm', mountPath: '/dev/shm' });
    expect(out.spec!.volumes).toContainEqual({
      name: 'kserve-llmd-shm',
      emptyDir: { medium: 'Memory', sizeLimit: '20Gi' },
    });
    const sidecar = out.spec!.initContainers![0]!;
    expect(sidecar).toMatchObject({
      name: 'routing-proxy',
      restartPolicy: 'Always',
      image: 'ghcr.io/llm-d/llm-d-router-disagg-sidecar:v0.9.0',
    });
    // --vllm-port always explicit: the sidecar's own default is 8001 at llm-d-router v0.9.0 (8200 only from v0.10.0).
    expect(sidecar.args).toEqual(['--port=8000', '--vllm-port=8200', '--kv-connector=nixlv2', '--secure-proxy=false']);
    expect(sidecar.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    expect(out.metadata?.annotations?.[`${P}vllm-port`]).toBe('8200');
    // queue-proxy is untouched: it still forwards to 8000, now the sidecar.
    expect(out.spec!.containers[1]).toEqual(knativePod({}).spec!.containers[1]);
  });

  it('prefill pod: NIXL on the serving port, no sidecar', () => {
    const out = mutated(
      knativePod(labels('prefill'), { [`${P}disaggregation`]: 'prefill-decode', [`${P}prefill-for`]: 'llama' }),
    );
    expect(out.spec!.initContainers).toBeUndefined();
    expect(main(out).args).toContain('--port=8000');
    expect(argValue(main(out), '--kv-transfer-config')).toEqual({ kv_connector: 'NixlConnector', kv_role: 'kv_both' });
    expect(out.metadata?.annotations?.[`${P}vllm-port`]).toBe('8000');
  });

  it('appends --port when vLLM has none (vLLM would default to 8000, the sidecar port)', () => {
    const pod = knativePod(labels('decode'));
    main(pod).args = ['--model=/mnt/models'];
    expect(main(mutated(pod)).args).toContain('--port=8200');
  });

  it('rewrites the two-argument form --port 8000', () => {
    const pod = knativePod(labels('decode'));
    main(pod).args = ['--port', '8000', '--model=/mnt/models'];
    const args = main(mutated(pod)).args!;
    expect(args.slice(0, 2)).toEqual(['--port=8200', '--model=/mnt/models']);
  });

  it('serving port comes from the declared container port', () => {
    const pod = knativePod(labels('decode'));
    main(pod).ports = [{ containerPort: 8080, name: 'user-port' }];
    main(pod).args = ['--port=8080'];
    const out = mutated(pod);
    expect(out.spec!.initContainers![0]!.args![0]).toBe('--port=8080');
    expect(main(out).args).toContain('--port=8200');
  });
});

describe('KV offload', () => {
  it('CPU tier: OffloadingConnector with the byte count', () => {
    const out = mutated(knativePod(labels('prefill-decode'), { [`${P}kv-offload`]: 'cpu=100Gi' }));
    expect(argValue(main(out), '--kv-transfer-config')).toEqual({
      kv_connector: 'OffloadingConnector',
      kv_role: 'kv_both',
      kv_connector_extra_config: { cpu_bytes_to_use: 107374182400 },
    });
    expect(out.spec!.initContainers).toBeUndefined();
  });

  it('CPU + disk: a tiered spec and a local volume for the disk tier', () => {
    const out = mutated(knativePod(labels('prefill-decode'), { [`${P}kv-offload`]: 'cpu=100Gi,disk=500Gi' }));
    const extra = (argValue(main(out), '--kv-transfer-config') as any).kv_connector_extra_config;
    // vLLM's FileSystemTierManager takes root_dir (an unknown key would stop vLLM); the emptyDir bounds the size.
    expect(extra.secondary_tiers).toEqual([{ type: 'fs', root_dir: '/var/cache/kserve-llmd/kv-offload' }]);
    expect(out.spec!.volumes).toContainEqual({ name: 'kserve-llmd-kv-offload', emptyDir: { sizeLimit: '500Gi' } });
    expect(main(out).volumeMounts).toContainEqual({
      name: 'kserve-llmd-kv-offload',
      mountPath: '/var/cache/kserve-llmd/kv-offload',
    });
  });

  it('P/D + offload: one MultiConnector, NIXL first', () => {
    const out = mutated(
      knativePod(labels('decode'), { [`${P}disaggregation`]: 'prefill-decode', [`${P}kv-offload`]: 'cpu=10Gi' }),
    );
    const config = argValue(main(out), '--kv-transfer-config') as any;
    expect(config.kv_connector).toBe('MultiConnector');
    expect(config.kv_connector_extra_config.connectors.map((c: any) => c.kv_connector)).toEqual([
      'NixlConnector',
      'OffloadingConnector',
    ]);
    expect(main(out).args!.filter((a) => a === '--kv-transfer-config')).toHaveLength(1);
  });
});

describe('precise-prefix routing', () => {
  it('KV events over ZMQ with the pod identity the picker uses', () => {
    const out = mutated(knativePod(labels('prefill-decode'), { [`${P}routing`]: 'precise-prefix' }));
    expect(argValue(main(out), '--kv-events-config')).toEqual({
      enable_kv_cache_events: true,
      publisher: 'zmq',
      endpoint: 'tcp://*:5557',
      topic: 'kv@$(POD_IP):$(POD_PORT)@llama',
    });
    expect(main(out).env).toEqual(
      expect.arrayContaining([
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'POD_PORT', value: '8000' },
      ]),
    );
  });
});

describe('safety', () => {
  it.each([
    [
      'decode P/D',
      labels('decode'),
      {
        [`${P}disaggregation`]: 'prefill-decode',
        [`${P}routing`]: 'precise-prefix',
        [`${P}kv-offload`]: 'cpu=10Gi,disk=20Gi',
      },
    ],
    ['prefill', labels('prefill'), {}],
    ['plain', labels('prefill-decode'), {}],
  ])('%s: idempotent under reinvocation', (_label, podLabels, annotations) => {
    const once = mutated(knativePod(podLabels, annotations));
    expect(admit(once)).toEqual({ uid: expect.any(String), allowed: true });
  });

  it('keeps a user-set --kv-transfer-config and warns', () => {
    const pod = knativePod(labels('prefill'), {}, [
      '--kv-transfer-config',
      '{"kv_connector":"LMCacheConnectorV1","kv_role":"kv_both"}',
    ]);
    const response = admit(pod);
    expect(response.warnings?.join()).toMatch(/already sets --kv-transfer-config; kept as is/);
    const out = mutated(pod);
    expect(argValue(main(out), '--kv-transfer-config')).toEqual({
      kv_connector: 'LMCacheConnectorV1',
      kv_role: 'kv_both',
    });
  });

  it('a shell command line gets no flags, a warning, and the pod is still allowed', () => {
    const pod = knativePod(labels('decode'));
    main(pod).command = ['/bin/sh', '-c', 'vllm serve /mnt/models --port 8000'];
    main(pod).args = [];
    const response = admit(pod);
    expect(response.allowed).toBe(true);
    expect(response.warnings?.join()).toMatch(/runs a shell/);
    expect(mutated(pod).spec!.initContainers).toBeUndefined();
  });

  it('invalid annotations on a pod never block it', () => {
    const response = admit(knativePod(labels('prefill-decode'), { [`${P}routing`]: 'nope' }));
    expect(response.allowed).toBe(true);
    expect(response.warnings?.join()).toMatch(/ignored invalid pod annotations/);
  });

  it('pods without the pool label, non-CREATE operations and garbage are allowed untouched', () => {
    expect(admit(knativePod({}))).toEqual({ uid: expect.any(String), allowed: true });
    expect(handler(review(knativePod(labels('decode')), 'UPDATE', 'Pod').request!)).toEqual({
      uid: expect.any(String),
      allowed: true,
    });
    expect(admit({ spec: 'x' } as unknown as Pod).allowed).toBe(true);
  });
});
