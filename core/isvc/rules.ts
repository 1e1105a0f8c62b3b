/**
 * Combinations that cannot work, as ordered data (pepr-style adjudicators). Each rule returns the reason
 * it fails, phrased for the user: what is wrong, why, and what to change. All failures are reported at once.
 */
import { ANNOTATION_PREFIX as P } from '../names.js';
import type { InferenceService } from '../../src/types/kube.js';
import { parseByteQuantity } from '../annotations/values.js';
import { echo } from '../echo.js';
import type { IsvcContext } from './context.js';

export interface Rule {
  name: string;
  check(ctx: IsvcContext, isvc: InferenceService): string | undefined;
}

const PD_ACCELERATORS = new Set(['nvidia', 'amd', 'intel-xpu', 'gaudi']);

export const RULES: readonly Rule[] = [
  {
    // k8s v1.28.7 apiserver: mutating admission runs in handlers/create.go before registry Store.Create
    // (registry/generic/registry/store.go) generates the name from generateName, so a webhook sees no name.
    name: 'name-required',
    check: (ctx) =>
      ctx.name === ''
        ? 'metadata.name is required: kserve-llmd names the pool label, the served model and the routing objects ' +
          'after the InferenceService, and with metadata.generateName the API server picks the name only after ' +
          'admission; set metadata.name'
        : undefined,
  },
  {
    name: 'accelerator-matches-resources',
    check: (ctx) => {
      const others = ctx.resourceAccelerators.filter((a) => a !== ctx.accelerator);
      if (ctx.acceleratorSource === 'annotation' && ctx.settings.accelerator !== 'cpu' && others.length > 0) {
        return (
          `${P}accelerator is "${ctx.accelerator}" but the predictor ` +
          `requests ${others.join(', ')} resources; make them agree`
        );
      }
      if (ctx.resourceAccelerators.length > 1)
        return (
          `the predictor requests resources of several accelerators ` +
          `(${ctx.resourceAccelerators.join(', ')}); one vLLM engine ` +
          `runs on one kind`
        );
      return undefined;
    },
  },
  {
    name: 'pd-needs-accelerator',
    check: (ctx) =>
      ctx.settings.disaggregation === 'prefill-decode' && !PD_ACCELERATORS.has(ctx.accelerator)
        ? `${P}disaggregation "prefill-decode" needs a GPU-class ` +
          `accelerator with NIXL KV transfer (nvidia, amd, intel-xpu, ` +
          `gaudi); this service runs on "${ctx.accelerator}"`
        : undefined,
  },
  {
    name: 'pd-needs-routing',
    check: (ctx) =>
      ctx.settings.disaggregation === 'prefill-decode' && ctx.settings.routing === 'none'
        ? `${P}disaggregation "prefill-decode" needs ${P}routing ` +
          `other than "none": the endpoint picker is what sends ` +
          `prompts to prefill pods`
        : undefined,
  },
  {
    // llm-d-router v0.9.0 releases requests held at zero as soon as any pool pod is Ready, prefill or decode
    // (pkg/epp/flowcontrol/controller/internal/processor.go dispatches once saturation drops; the detectors count
    // every Ready endpoint), and an empty decode result fails the request (disagg_profile_handler.go). With a warm
    // prefill pod and decode at zero, every request that wakes decode would fail.
    name: 'pd-decode-zero-needs-prefill-zero',
    check: (ctx) =>
      ctx.settings.disaggregation === 'prefill-decode' &&
      ctx.role !== 'prefill' &&
      ctx.settings.decodeReplicas.min === 0 &&
      ctx.settings.prefillReplicas.min > 0
        ? `${P}decode-replicas minimum 0 needs ${P}prefill-replicas minimum 0 too: while decode is at zero the ` +
          'endpoint picker sends held requests to the Ready prefill pod, where they fail; use prefill-replicas ' +
          `"0-${ctx.settings.prefillReplicas.max}" or a decode minimum of 1`
        : undefined,
  },
  {
    name: 'gateway-needs-routing',
    check: (ctx) =>
      ctx.settings.gateway && ctx.settings.routing === 'none'
        ? `${P}gateway routes to an InferencePool, which ${P}routing ` +
          `"none" does not create; drop the gateway or choose a ` +
          `routing mode`
        : undefined,
  },
  {
    name: 'prefill-replicas-needs-pd',
    check: (ctx) =>
      ctx.settings.explicit.has('prefill-replicas') &&
      ctx.settings.disaggregation !== 'prefill-decode' &&
      ctx.role !== 'prefill'
        ? `${P}prefill-replicas has no effect ` +
          `without ${P}disaggregation "prefill-decode"; remove it or ` +
          `enable disaggregation`
        : undefined,
  },
  {
    name: 'modelmesh-unsupported',
    check: (ctx) =>
      ctx.deploymentMode === 'ModelMesh'
        ? 'serving.kserve.io/deploymentMode ModelMesh is not ' +
          'supported by kserve-llmd (vLLM serves one model per pod); ' +
          'use Knative'
        : undefined,
  },
  {
    name: 'zero-needs-knative',
    check: (ctx) =>
      ctx.replicas.min === 0 && ctx.deploymentMode !== 'Knative'
        ? `${P}${ctx.role === 'prefill' ? 'prefill' : 'decode'}-replicas ` +
          `minimum 0 needs the Knative deployment mode: ` +
          `in ${ctx.deploymentMode} mode nothing buffers requests ` +
          `while no pod runs, so they would fail; use a minimum of 1 ` +
          `or serving.kserve.io/deploymentMode: Knative`
        : undefined,
  },
  {
    name: 'offload-needs-accelerator',
    check: (ctx) =>
      ctx.settings.kvOffload && ctx.accelerator === 'cpu'
        ? `${P}kv-offload moves KV cache from accelerator memory to ` +
          `CPU memory; on "cpu" the cache already is in CPU memory; remove it`
        : undefined,
  },
  {
    name: 'offload-fits-memory',
    check: (ctx, isvc) => {
      const offload = ctx.settings.kvOffload;
      const limit = isvc.spec.predictor.model?.resources?.limits?.memory;
      if (!offload || limit === undefined) return undefined;
      const bytes = parseByteQuantity(String(limit));
      return bytes.ok && bytes.value <= offload.cpuBytes
        ? `${P}kv-offload cpu=${offload.cpu} does not fit in the predictor's memory limit ${echo(String(limit))}; ` +
            `vLLM pins the CPU tier in the pod's memory, so raise the limit above ${offload.cpu} plus the engine's ` +
            `own use`
        : undefined;
    },
  },
  {
    name: 'name-fits-label',
    check: (ctx) =>
      ctx.pool.length > 63
        ? `the InferenceService name "${echo(ctx.pool)}" is longer than 63 characters, the limit of the label ` +
          `${P}pool that selects its pods`
        : undefined,
  },
  {
    name: 'prefill-sibling-name',
    check: (ctx) =>
      ctx.settings.prefillFor !== null && ctx.name !== `${ctx.settings.prefillFor}-prefill`
        ? `${P}prefill-for is set by the kserve-llmd controller on "${echo(ctx.settings.prefillFor)}-prefill" ` +
          `only; remove it from "${echo(ctx.name)}"`
        : undefined,
  },
];

export function checkRules(ctx: IsvcContext, isvc: InferenceService): string[] {
  return RULES.map((r) => r.check(ctx, isvc)).filter((m): m is string => m !== undefined);
}
