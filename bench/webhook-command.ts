/** `kserve-llmd bench webhook`: the real InferenceService handler behind the real server vs a bare HTTPS server. */
import { defaultWebhookConfig } from '../src/config.js';
import { createIsvcHandler } from '../webhooks/isvc/handler.js';
import type { BenchEntry } from './registry.js';
import { runWebhookBench } from './webhook.js';

export const WEBHOOK_BENCH: BenchEntry = {
  spec: {
    name: 'bench webhook',
    summary:
      'AdmissionReviews for a realistic InferenceService over ' +
      'HTTPS with keep-alive at rising concurrency, beside a bare ' +
      'HTTPS server.',
    usage: 'kserve-llmd bench webhook [--duration-ms 3000] [--concurrency 1,8,32,64] [--rate 200]',
    flags: [
      { name: 'duration-ms', type: 'int', help: 'duration of each step', default: 3000, min: 200, max: 120_000 },
      { name: 'concurrency', type: 'string', help: 'comma-separated connection counts', default: '1,8,32,64' },
      {
        name: 'rate',
        type: 'int',
        help: 'open-loop rate for the latency goal (requests/s)',
        default: 200,
        min: 1,
        max: 100_000,
      },
    ],
  },
  async run(values) {
    const concurrencies = String(values.concurrency)
      .split(',')
      .map((s) => Number(s.trim()));
    if (concurrencies.some((c) => !Number.isInteger(c) || c < 1 || c > 1024))
      throw new Error('--concurrency: integers in [1, 1024], comma-separated');
    await runWebhookBench({
      durationMs: Number(values['duration-ms']),
      concurrencies,
      rate: Number(values.rate),
      handler: createIsvcHandler(defaultWebhookConfig()),
      expectPatch: true,
      out: (line) => process.stdout.write(`${line}\n`),
    });
    return 0;
  },
};
