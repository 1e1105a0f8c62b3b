/**
 * The predictor request timeout. KServe sets the revision's timeoutSeconds and responseStartTimeoutSeconds
 * from it (kserve-knative.md §1); requests buffered by the activator while a model loads wait at most this
 * long, and Knative's 300 s default is shorter than a large model's cold start (kserve#3795).
 */
import type { IsvcMutator } from './types.js';

export const timeoutMutator: IsvcMutator = {
  name: 'timeout',
  apply(_draft, ctx, writer) {
    if (ctx.deploymentMode !== 'Knative') return [];
    writer.setDefault(['spec', 'predictor', 'timeout'], ctx.config.requestTimeoutSeconds);
    return [];
  },
};
