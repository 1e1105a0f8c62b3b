/**
 * The real webhook server (both handlers, self-signed TLS) in a process of its own, so a test can load it and
 * read its peak RSS. Prints one JSON line {url, ca} when listening; answers each stdin line "rss" with
 * {maxRssBytes}. argv[2], when given, overrides the buffered-body budget in bytes (for measurements).
 */
import { createInterface } from 'node:readline';
import { defaultWebhookConfig } from '../../../src/config.js';
import { silentLogger } from '../../../src/log.js';
import { createIsvcHandler, ISVC_PATH } from '../../../webhooks/isvc/handler.js';
import { createPodHandler, POD_PATH } from '../../../webhooks/pod/handler.js';
import { startWebhookServer } from '../../../webhooks/server.js';

const config = defaultWebhookConfig();
const budget = process.argv[2] ? Number(process.argv[2]) : undefined;
const server = await startWebhookServer({
  host: '127.0.0.1',
  port: 0,
  logger: silentLogger,
  handlers: { [ISVC_PATH]: createIsvcHandler(config), [POD_PATH]: createPodHandler(config.injection) },
  ...(budget ? { maxBufferedBytes: budget } : {}),
});
process.stdout.write(`${JSON.stringify({ url: server.url, ca: server.selfSigned?.cert })}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'rss')
    process.stdout.write(`${JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
});
process.stdin.on('end', () => void server.close({ drain: false }).then(() => process.exit(0)));
