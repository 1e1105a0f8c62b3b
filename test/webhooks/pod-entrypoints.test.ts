/**
 * Pods whose vLLM command line the webhook cannot extend safely (shell entrypoints), pods that already carry a
 * routing sidecar, and pods the mutation chokes on: each is admitted, consistent (the `kserve-llmd.io/vllm-port`
 * annotation says where vLLM really answers, which the autoscaler scrapes) and explained in a warning.
 */
import { jest } from '@jest/globals';
import fastJsonPatch from 'fast-json-patch';
import { defaultWebhookConfig } from '../../src/config.js';
import type { AdmissionResponse } from '../../webhooks/admission-types.js';
import type { Container, Pod } from '../../src/types/kube.js';
import { createPodHandler } from '../../webhooks/pod/handler.js';
import { knativePod, review } from '../support/fixtures.js';
import { expectValid } from '../support/schema.js';

const P = 'kserve-llmd.io/';
const injection = defaultWebhookConfig().injection;

const DECODE_LABELS = {
  'kserve-llmd.io/pool': 'llama',
  'llm-d.ai/role': 'decode',
  'llm-d.ai/model': 'llama',
  'llm-d.ai/inference-serving': 'true',
};
/** A decode pod that wants every feature that touches vLLM's command line. */
const EVERYTHING = {
  [`${P}disaggregation`]: 'prefill-decode',
  [`${P}routing`]: 'precise-prefix',
  [`${P}kv-offload`]: 'cpu=10Gi,disk=20Gi',
};

function decodePod(command: string[] | undefined, args: string[]): Pod {
  const pod = knativePod(DECODE_LABELS, EVERYTHING);
  const c = pod.spec!.containers[0]!;
  if (command) c.command = command;
  else delete c.command;
  c.args = args;
  return pod;
}

const admit = (pod: unknown, handler = createPodHandler(injection)): AdmissionResponse =>
  handler(review(pod, 'CREATE', 'Pod').request!);

function applied(pod: Pod, response: AdmissionResponse): Pod {
  const ops = response.patch ? JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) : [];
  return fastJsonPatch.applyPatch(structuredClone(pod), ops, true, false).newDocument as Pod;
}

const vllm = (pod: Pod): Container => pod.spec!.containers.find((c) => c.name === 'kserve-container')!;

describe('shell entrypoints: the pod is left as written, and says where vLLM listens', () => {
  const SCRIPT = 'exec vllm serve /mnt/models --served-model-name=llama --port 8000';
  it.each([
    ['command [bash], args [-c, script]', ['bash'], ['-c', SCRIPT]],
    ['command [bash, -c, script]', ['bash', '-c', SCRIPT], []],
    ['command [sh, -c, script]', ['sh', '-c', SCRIPT], []],
    ['command [/usr/bin/env, bash, -c, script]', ['/usr/bin/env', 'bash', '-c', SCRIPT], []],
    [
      'command [/usr/bin/env, -i, HOME=/tmp, bash], args [-lc, script]',
      ['/usr/bin/env', '-i', 'HOME=/tmp', 'bash'],
      ['-lc', SCRIPT],
    ],
    ['command [/bin/bash, -ec, script]', ['/bin/bash', '-ec', SCRIPT], []],
    ['command [env, -S, "bash -c …"]', ['env', '-S', `bash -c '${SCRIPT}'`], []],
  ])('%s: no flags, no port move, no sidecar, vllm-port 8000, a warning', (_label, command, args) => {
    const pod = decodePod(command, args);
    const response = admit(pod);
    expect(response.allowed).toBe(true);
    expect(response.warnings?.join('\n')).toMatch(/vLLM flags cannot be added: not applied: kv-transfer, kv-events/);
    const out = applied(pod, response);
    expectValid(out);
    // The container is as written (command, args, ports, probes, env); only the memory-backed /dev/shm is added.
    const { volumeMounts, ...rest } = vllm(out);
    expect(rest).toEqual(vllm(pod));
    expect(volumeMounts).toEqual([{ name: 'kserve-llmd-shm', mountPath: '/dev/shm' }]);
    expect(out.spec!.initContainers).toBeUndefined();
    expect(out.spec!.containers.map((c) => c.name)).toEqual(['kserve-container', 'queue-proxy']);
    expect(out.spec!.volumes?.map((v) => v.name)).toEqual(['kserve-llmd-shm']);
    expect(out.metadata!.annotations![`${P}vllm-port`]).toBe('8000');
    expect(out.metadata!.annotations![`${P}injected`]).toBe('shm');
  });

  it('the port a script names is the one annotated, also when the pod declares another', () => {
    const pod = decodePod(['bash', '-c'], ['vllm serve /mnt/models --port=9000']);
    const out = applied(pod, admit(pod));
    expect(out.metadata!.annotations![`${P}vllm-port`]).toBe('9000');
  });

  it('a script without --port: the declared port (what queue-proxy forwards to)', () => {
    const pod = decodePod(['sh', '-c', 'exec /opt/start-vllm.sh'], []);
    const out = applied(pod, admit(pod));
    expect(out.metadata!.annotations![`${P}vllm-port`]).toBe('8000');
  });

  it('a non-shell entrypoint is still wired (python -m vllm.entrypoints.openai.api_server)', () => {
    const pod = decodePod(
      ['python3', '-m', 'vllm.entrypoints.openai.api_server'],
      ['--port=8000', '--model=/mnt/models'],
    );
    const out = applied(pod, admit(pod));
    expect(vllm(out).args).toContain('--port=8200');
    expect(out.spec!.initContainers?.[0]?.name).toBe('routing-proxy');
    expect(out.metadata!.annotations![`${P}vllm-port`]).toBe('8200');
  });

  it('a re-admission of the untouched pod changes nothing (idempotent)', () => {
    const pod = decodePod(['bash', '-c', SCRIPT], []);
    const once = applied(pod, admit(pod));
    expect(admit(once).patch).toBeUndefined();
  });
});

describe('a routing sidecar already in the pod', () => {
  function withSidecar(sidecarArgs: string[], vllmArgs: string[]): Pod {
    const pod = decodePod(undefined, vllmArgs);
    pod.spec!.initContainers = [
      {
        name: 'routing-proxy',
        image: 'ghcr.io/llm-d/llm-d-router-disagg-sidecar:v0.9.0',
        restartPolicy: 'Always',
        args: sidecarArgs,
      },
    ];
    return pod;
  }

  it('agreeing with vLLM: kept, annotated with vLLM’s port, no warning about it', () => {
    const pod = withSidecar(['--port=8000', '--vllm-port=8200'], ['--port=8200', '--model=/mnt/models']);
    const response = admit(pod);
    const out = applied(pod, response);
    expect(out.spec!.initContainers).toHaveLength(1);
    expect(vllm(out).args).toContain('--port=8200');
    expect(out.metadata!.annotations![`${P}vllm-port`]).toBe('8200');
    expect(response.warnings?.join('\n') ?? '').not.toMatch(/routing-proxy/);
  });

  it('without --vllm-port: vLLM is not moved, the annotation is where vLLM listens, and the default is named', () => {
    const pod = withSidecar(['--port=8000'], ['--port=8000', '--model=/mnt/models']);
    const response = admit(pod);
    const out = applied(pod, response);
    expect(vllm(out).args).toContain('--port=8000');
    expect(out.metadata!.annotations![`${P}vllm-port`]).toBe('8000');
    expect(response.warnings?.join('\n')).toMatch(/sets no --vllm-port.*8001 at llm-d-router v0.9.0/);
  });

  it('disagreeing with vLLM: kept as is, annotated with vLLM’s port, and the mismatch named', () => {
    const pod = withSidecar(['--port=8000', '--vllm-port', '8300'], ['--port=8200']);
    const response = admit(pod);
    expect(applied(pod, response).metadata!.annotations![`${P}vllm-port`]).toBe('8200');
    expect(response.warnings?.join('\n')).toMatch(/forwards to port 8300 but vLLM listens on 8200/);
  });

  it('--model-server-port (llm-d-router v0.10+) is read too', () => {
    const pod = withSidecar(['--model-server-port=8200'], ['--port=8200']);
    expect(admit(pod).warnings?.join('\n') ?? '').not.toMatch(/routing-proxy/);
  });
});

describe('a mutation that throws never denies a pod', () => {
  it.each([
    ['args: [1]', (c: Record<string, unknown>) => (c.args = [1])],
    ['env: [null]', (c: Record<string, unknown>) => (c.env = [null])],
    ['ports: [null]', (c: Record<string, unknown>) => (c.ports = [null])],
    ['volumeMounts: "x"', (c: Record<string, unknown>) => (c.volumeMounts = 'x')],
  ])('%s: allowed, with a warning', (_label, spoil) => {
    const pod = decodePod(undefined, ['--port=8000']);
    spoil(pod.spec!.containers[0] as unknown as Record<string, unknown>);
    const onError = jest.fn();
    const response = admit(pod, createPodHandler(injection, { onError }));
    expect(response.allowed).toBe(true);
    expect(response.status).toBeUndefined();
    expect(response.warnings?.length).toBeGreaterThan(0);
  });

  it('an exception is reported to onError (the error metric) and the pod is admitted unchanged', () => {
    const pod = decodePod(undefined, ['--port=8000']);
    (pod.spec!.containers[0] as unknown as Record<string, unknown>).env = [null];
    const onError = jest.fn();
    const response = admit(pod, createPodHandler(injection, { onError }));
    expect(response).toEqual({
      uid: expect.any(String),
      allowed: true,
      warnings: [expect.stringMatching(/pod webhook failed on this pod and admitted it unchanged/)],
    });
    expect(onError).toHaveBeenCalledTimes(1);
  });
});
