/**
 * Issue 14, item 1: the InferenceService webhook never wedges an object. A service that breaks today's rules
 * (created before the install, a rule tightened by an upgrade, `--default-deployment-mode` changed) can still
 * have its finalizer removed, be deleted and get metadata-only edits; an UPDATE is denied only for a problem
 * the update introduces, and problems it inherited come back as warnings.
 */
import { defaultWebhookConfig } from '../../src/config.js';
import type { AdmissionResponse } from '../../webhooks/admission-types.js';
import type { InferenceService } from '../../src/types/kube.js';
import { createIsvcHandler } from '../../webhooks/isvc/handler.js';
import { isvc, review } from '../support/fixtures.js';

const P = 'kserve-llmd.io/';

/** Scale to zero: valid in Knative mode, invalid once the cluster default becomes Standard. */
function scaleToZero(): InferenceService {
  const s = isvc({ [`${P}decode-replicas`]: '0-4' });
  s.metadata.finalizers = ['inferenceservice.finalizers'];
  s.metadata.uid = '7c1e2a44-0000-4000-8000-000000000001';
  return s;
}

/** The service admitted under Knative mode, then the operator switches the default to Standard. */
const standard = createIsvcHandler({ ...defaultWebhookConfig(), defaultDeploymentMode: 'Standard' });

function update(handler: typeof standard, oldObject: unknown, object: unknown): AdmissionResponse {
  return handler(review(object, 'UPDATE', 'InferenceService', oldObject).request!);
}

function without<T extends object>(obj: T, edit: (copy: T) => void): T {
  const copy = structuredClone(obj);
  edit(copy);
  return copy;
}

describe('a service that breaks the current rules is never stuck', () => {
  const old = scaleToZero();

  it('is still denied on CREATE (the rule itself stands)', () => {
    const res = standard(review(old, 'CREATE').request!);
    expect(res.allowed).toBe(false);
    expect(res.status?.message).toMatch(/decode-replicas minimum 0 needs the Knative deployment mode/);
  });

  it("allows KServe's finalizer removal once deletion started (deletionTimestamp set)", () => {
    const terminating = without(old, (o) => (o.metadata.deletionTimestamp = '2025-01-01T00:00:00Z'));
    const removed = without(terminating, (o) => (o.metadata.finalizers = []));
    const res = update(standard, terminating, removed);
    expect(res).toMatchObject({ allowed: true });
    expect(res.patch).toBeUndefined(); // nothing is written into an object on its way out
  });

  it('allows a metadata-only edit and warns about the problem it already had', () => {
    const labelled = without(old, (o) => (o.metadata.labels = { team: 'search' }));
    const res = update(standard, old, labelled);
    expect(res.allowed).toBe(true);
    expect(res.patch).toBeUndefined();
    expect(res.warnings).toHaveLength(1);
    expect(res.warnings?.[0]).toMatch(
      /^kserve-llmd: not enforced on this update because the object already had it: .*minimum 0 needs the Knative/,
    );
  });

  it('denies a problem the update introduces, and still only warns about the inherited one', () => {
    const added = without(old, (o) => (o.metadata.annotations![`${P}prefill-replicas`] = '0-2'));
    const res = update(standard, old, added);
    expect(res.allowed).toBe(false);
    expect(res.status?.message).toMatch(/prefill-replicas has no effect without/);
    expect(res.status?.message).not.toMatch(/minimum 0/);
    expect(res.warnings?.join('\n')).toMatch(/already had it: .*minimum 0 needs the Knative/);
  });

  it('changing a bad value to another bad value is a new problem', () => {
    const before = isvc({ [`${P}routing`]: 'fast' });
    const after = isvc({ [`${P}routing`]: 'faster' });
    expect(update(createIsvcHandler(defaultWebhookConfig()), before, after).allowed).toBe(false);
  });

  it('fixing the problem mutates as usual', () => {
    const fixed = without(old, (o) => (o.metadata.annotations![`${P}decode-replicas`] = '1-4'));
    const res = update(standard, old, fixed);
    expect(res.allowed).toBe(true);
    expect(res.patch).toBeDefined();
  });
});
