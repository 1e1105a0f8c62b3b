import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEventEmitter } from '../src/events.js';
import { createRegistry } from '../src/metrics.js';

// src/events.ts: a per-event `source` (issue 5: the autoscaler's events come from the PodAutoscaler that
// decided) next to the emitter-wide one, which existing callers keep getting.
describe('CloudEvents per-event source', () => {
  it('uses the per-event source when given, the emitter source otherwise, and counts a rejected one', async () => {
    const received: IncomingHttpHeaders[] = [];
    const sink = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push(req.headers);
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    try {
      const registry = createRegistry();
      const events = createEventEmitter({
        sink: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/`,
        source: 'kserve-llmd/autoscaler',
        registry,
      });
      const pa = '/apis/autoscaling.internal.knative.dev/v1alpha1/namespaces/ns/podautoscalers/m-predictor-00001';
      events.emit(
        'dev.kserve-llmd.autoscaler.scaled',
        '/apis/apps/v1/namespaces/ns/deployments/m',
        { to: 2 },
        { source: pa },
      );
      events.emit('dev.kserve-llmd.autoscaler.scaled', 'ns/m', { to: 3 });
      events.emit('dev.kserve-llmd.autoscaler.scaled', 'ns/m', { to: 4 }, {});
      // A source the CloudEvents spec rejects (not a string) must not throw into the caller's loop.
      expect(() => events.emit('bad.source', 'ns/m', {}, { source: 42 as unknown as string })).not.toThrow();
      await events.close(5_000);
      expect(received.map((h) => [h['ce-source'], h['ce-subject']])).toEqual([
        [pa, '/apis/apps/v1/namespaces/ns/deployments/m'],
        ['kserve-llmd/autoscaler', 'ns/m'],
        ['kserve-llmd/autoscaler', 'ns/m'],
      ]);
      expect(await registry.metrics()).toMatch(/kserve_llmd_cloudevents_total\{type="bad.source",result="failed"\} 1/);
    } finally {
      sink.close();
    }
  });
});
