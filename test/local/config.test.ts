/**
 * Table tests for the pure parts of local mode: config validation, the service → decider specs mapping (same
 * annotations, same meaning as the cluster autoscaler), command templates, token/prefix estimates, the view.
 */
import { ConfigError } from '../../src/config.js';
import { defaultLocalConfig, parseLocalConfig } from '../../local/config.js';
import { applyFlags } from '../../local/command.js';
import { splitCommand } from '../../local/launchers.js';
import { promptShape } from '../../local/tokens.js';
import { renderView } from '../../local/view.js';
import { fastConfig, prompt, service } from './support.js';

describe('local config', () => {
  it.each([
    [{ gateway: { port: 70000 } }, /gateway\.port=70000: must be an integer in \[0, 65535\]/],
    [{ queue: { capacty: 3 } }, /queue\.capacty: unknown key; known: capacity, timeoutMs/],
    [{ engine: { mode: 'docker' } }, /engine\.mode="docker": must be one of bundled, command, urls/],
    [{ engine: { mode: 'command', command: 'vllm serve m' } }, /engine\.command="vllm serve m": must contain \{port\}/],
    [{ engine: { mode: 'urls' } }, /engine\.urls\.decode=\[\]: must list at least one URL/],
    [
      { autoscaler: { panicWindowMs: 9000, stableWindowMs: 6000 } },
      /panicWindowMs=9000: must be ≤ stableWindowMs \(6000\)/,
    ],
    [[1, 2], /must be a mapping/],
  ])('rejects %j', (input, message) => {
    expect(() => parseLocalConfig(input)).toThrow(ConfigError);
    expect(() => parseLocalConfig(input)).toThrow(message);
  });

  it('defaults work on a fresh clone: bundled engines, gateway on 127.0.0.1:8080', () => {
    const c = parseLocalConfig(undefined);
    expect(c).toEqual(defaultLocalConfig());
    expect(c.gateway).toMatchObject({ host: '127.0.0.1', port: 8080 });
    expect(c.engine.mode).toBe('bundled');
  });

  it('flags override the file: --engine-command selects command mode, --decode-urls urls mode', () => {
    expect(
      applyFlags(defaultLocalConfig(), { 'engine-command': 'vllm serve {model} --port {port}' }).engine,
    ).toMatchObject({ mode: 'command', command: 'vllm serve {model} --port {port}' });
    expect(
      applyFlags(defaultLocalConfig(), {
        'decode-urls': 'http://127.0.0.1:8000, http://127.0.0.1:8001',
        'prefill-urls': 'http://127.0.0.1:8100',
      }).engine,
    ).toMatchObject({
      mode: 'urls',
      urls: { decode: ['http://127.0.0.1:8000', 'http://127.0.0.1:8001'], prefill: ['http://127.0.0.1:8100'] },
    });
    expect(() => applyFlags(defaultLocalConfig(), { 'engine-command': 'vllm serve x' })).toThrow(
      /must contain \{port\}/,
    );
  });
});

describe('service → decider specs', () => {
  it('maps replica ranges, SLO and P/D from the annotations; the local config shortens only timing', () => {
    const cfg = fastConfig();
    const s = service(
      {
        'kserve-llmd.io/disaggregation': 'prefill-decode',
        'kserve-llmd.io/decode-replicas': '1-3',
        'kserve-llmd.io/prefill-replicas': '1-2',
        'kserve-llmd.io/slo': 'ttft=1s,itl=40ms',
        'kserve-llmd.io/scale-to-zero-after': '10m',
      },
      cfg,
    );
    expect(s).toMatchObject({
      name: 'tiny',
      model: 'meta-llama/Llama-3.1-8B-Instruct',
      disaggregated: true,
      routing: 'prefix-aware',
      pdThresholdTokens: 2048,
    });
    expect(s.roles.decode).toMatchObject({
      role: 'decode',
      minReplicas: 1,
      maxReplicas: 3,
      slo: { ttftMs: 1000, itlMs: 40 },
      scaleToZeroAfterMs: 1000,
      stableWindowMs: 2000,
    });
    expect(s.roles.prefill).toMatchObject({ role: 'prefill', minReplicas: 1, maxReplicas: 2 });
  });

  it(
    'without the override, scale-to-zero-after comes from the ' + 'annotation; without P/D there is no prefill role',
    () => {
      const s = service(
        { 'kserve-llmd.io/scale-to-zero-after': '10m', 'kserve-llmd.io/routing': 'load-aware' },
        defaultLocalConfig(),
      );
      expect(s.roles.decode).toMatchObject({ minReplicas: 1, maxReplicas: 4, scaleToZeroAfterMs: 600_000 });
      expect(s.roles.prefill).toBeUndefined();
      expect(s.routing).toBe('load-aware');
    },
  );
});

describe('helpers', () => {
  it.each([
    ['vllm serve {model} --port {port}', ['vllm', 'serve', '{model}', '--port', '{port}']],
    [`python -m x --kv '{"a": 1}' "two words"`, ['python', '-m', 'x', '--kv', '{"a": 1}', 'two words']],
  ])('splitCommand(%s)', (t, argv) => expect(splitCommand(t)).toEqual(argv));

  it('estimates ≈4 bytes per token and chains full 512-token blocks: a shared prefix shares hashes', () => {
    const a = promptShape(prompt(1100, 'shared') + 'tail A');
    const b = promptShape(prompt(1100, 'shared') + 'a different tail B');
    expect(a.promptTokens).toBe(1102);
    expect(a.hashIds).toHaveLength(2);
    expect(b.hashIds).toEqual(a.hashIds);
    expect(promptShape(prompt(1100, 'other')).hashIds[0]).not.toBe(a.hashIds[0]);
    expect(promptShape('short').hashIds).toEqual([]);
  });

  it('renders the view: replicas per role, queue, KV use, last decision', () => {
    const lines = renderView(
      {
        name: 'tiny',
        url: 'http://127.0.0.1:8080',
        disaggregated: true,
        nowMs: 10_000,
        startedAtMs: 0,
        roles: [
          {
            role: 'decode',
            min: 0,
            max: 3,
            desired: 2,
            starting: 1,
            ready: 1,
            draining: 0,
            waiting: 3,
            running: 2,
            kvUsage: 0.42,
            last: { reason: 'queue', detail: '3 waiting', atMs: 9_500 },
          },
        ],
        queue: {
          queued: 0,
          queuedPromptTokens: 0,
          released: 4,
          rejectedFull: 1,
          timedOut: 0,
          abandoned: 0,
          capacity: 256,
          timeoutMs: 120_000,
        },
        counts: { ok: 9, tooMany: 1, unavailable: 0, other: 0 },
        recent: ['12:00:00 scaled role=decode from=1 to=2'],
      },
      200,
    );
    expect(lines[0]).toContain('tiny · prefill/decode · http://127.0.0.1:8080 · up 0m10s');
    expect(lines.find((l) => l.startsWith('decode'))).toMatch(
      /^decode\s+1\s+1\s+0\s+2\s+0-3\s+3\s+2\s+42%\s+queue \(now\): 3 waiting$/,
    );
    expect(lines.join('\n')).toContain('released 4 · full 1');
    expect(lines.join('\n')).toContain('9 ok · 1 × 429');
  });
});
