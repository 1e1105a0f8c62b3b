/**
 * How the endpoint picker is reached and what it may read: its Service (ext_proc gRPC over TLS 9002, health
 * 9003, metrics 9090; llm-d.md §1), ServiceAccount, and a namespaced Role + RoleBinding with exactly the EPP
 * rules of core/rbac.ts (pods, its InferencePool, InferenceObjectives/ModelRewrites in both API groups — read
 * only). The controller holds each of those rules itself, as RBAC escalation prevention requires of whoever
 * creates the Role.
 */
import type { KubeObject } from '../../src/kube.js';
import { EPP_PORTS } from '../../core/names.js';
import { RBAC } from '../../core/rbac.js';
import { eppName, finish, type BuildContext } from './meta.js';

const COMPONENT = 'endpoint-picker';

export function eppSelector(ctx: BuildContext): Record<string, string> {
  return { 'app.kubernetes.io/name': 'kserve-llmd-epp', 'kserve-llmd.io/inferenceservice': ctx.name };
}

export function eppService(ctx: BuildContext): KubeObject {
  return finish(
    ctx,
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: eppName(ctx) },
      spec: {
        type: 'ClusterIP',
        selector: eppSelector(ctx),
        ports: [
          // As upstream's router chart names it (routerlib _service.yaml, v0.9.0): `grpc-` tells Istio the protocol.
          // No appProtocol: the port serves gRPC over TLS (--secure-serving), and `http2`/`kubernetes.io/h2c`
          // would tell a gateway to speak cleartext HTTP/2 to it.
          { name: 'grpc-ext-proc', port: EPP_PORTS.grpc, targetPort: EPP_PORTS.grpc, protocol: 'TCP' },
          { name: 'grpc-health', port: EPP_PORTS.health, targetPort: EPP_PORTS.health, protocol: 'TCP' },
          { name: 'http-metrics', port: EPP_PORTS.metrics, targetPort: EPP_PORTS.metrics, protocol: 'TCP' },
        ],
      },
    },
    COMPONENT,
  );
}

export function eppServiceAccount(ctx: BuildContext): KubeObject {
  return finish(ctx, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: eppName(ctx) } }, COMPONENT);
}

export function eppRole(ctx: BuildContext): KubeObject {
  const rules = RBAC.epp.map((r) => ({ apiGroups: r.apiGroups, resources: r.resources, verbs: r.verbs }));
  return finish(
    ctx,
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: eppName(ctx) }, rules },
    COMPONENT,
  );
}

export function eppRoleBinding(ctx: BuildContext): KubeObject {
  return finish(
    ctx,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: eppName(ctx) },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: eppName(ctx) },
      subjects: [{ kind: 'ServiceAccount', name: eppName(ctx), namespace: ctx.namespace }],
    },
    COMPONENT,
  );
}
