/** The loopback fake Kubernetes API server (see server.ts for usage and what it does and does not enforce). */
export { FakeApiServer, startFakeApiServer, type CallRecord, type FakeApiServerOptions } from './server.js';
export { BUILTIN_KINDS, PROJECT_KINDS, type KindSpec, type ScaleSpec } from './kinds.js';
export type { Obj } from './store.js';
export { ApiStatus } from './store.js';
export type { Admit, Validate } from './handlers.js';
