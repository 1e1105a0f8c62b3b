/** The watch wire format: newline-delimited JSON over arbitrary chunk boundaries (src/watch-stream.ts). */
import { WatchDecoder, WatchStreamError, type WatchEvent } from '../../src/watch-stream.js';

const cm = (name: string, rv: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ns', resourceVersion: rv },
  data: { note: 'café ☕' },
});
const line = (type: string, object: unknown) => `${JSON.stringify({ type, object })}\n`;
const gone = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'too old resource version: 5 (9)',
  reason: 'Expired',
  code: 410,
};

const STREAM =
  line('ADDED', cm('a', '6')) +
  line('MODIFIED', cm('a', '7')) +
  line('BOOKMARK', { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: '8' } }) +
  line('DELETED', cm('a', '9')) +
  line('ERROR', gone);

function decodeAll(chunks: Buffer[], max?: number): WatchEvent[] {
  const dec = new WatchDecoder(max);
  const out: WatchEvent[] = [];
  for (const c of chunks) dec.push(c, (e) => out.push(e));
  dec.end((e) => out.push(e));
  return out;
}

describe('WatchDecoder', () => {
  const whole = decodeAll([Buffer.from(STREAM)]);

  it('decodes every event type, the 410 Status of an ERROR event included', () => {
    expect(whole.map((e) => [e.type, (e.object.metadata as { resourceVersion?: string }).resourceVersion])).toEqual([
      ['ADDED', '6'],
      ['MODIFIED', '7'],
      ['BOOKMARK', '8'],
      ['DELETED', '9'],
      ['ERROR', undefined],
    ]);
    expect(whole[4]!.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });

  it('gives the same events for the stream split at every byte, in two and in one-byte chunks', () => {
    const bytes = Buffer.from(STREAM); // contains multi-byte UTF-8 characters, split mid-character too
    for (let i = 1; i < bytes.length; i++) expect(decodeAll([bytes.subarray(0, i), bytes.subarray(i)])).toEqual(whole);
    expect(decodeAll([...bytes].map((b) => Buffer.from([b])))).toEqual(whole);
    expect(whole[0]!.object).toMatchObject({ data: { note: 'café ☕' } });
  });

  it('holds a partial line until its newline arrives; blank keep-alive lines carry nothing', () => {
    const dec = new WatchDecoder();
    const out: WatchEvent[] = [];
    const text = line('ADDED', cm('a', '6'));
    dec.push(Buffer.from(text.slice(0, 30)), (e) => out.push(e));
    expect(out).toEqual([]);
    dec.push(Buffer.from(`${text.slice(30)}\n\r\n`), (e) => out.push(e));
    dec.end((e) => out.push(e));
    expect(out).toHaveLength(1);
  });

  it('accepts a last event without its newline, and rejects a body cut mid-event', () => {
    expect(decodeAll([Buffer.from(STREAM.trimEnd())])).toEqual(whole);
    expect(() => decodeAll([Buffer.from(STREAM.slice(0, -20))])).toThrow(WatchStreamError);
  });

  it.each([
    ['garbage', 'not json at all\n', /not JSON/],
    ['JSON but not an event', '{"kind":"ConfigMap"}\n', /not a watch event/],
    ['an object that is not an object', '{"type":"ADDED","object":"x"}\n', /not a watch event/],
    ['an unknown event type', '{"type":"RENAMED","object":{}}\n', /unknown event type "RENAMED"/],
  ])(
    'rejects %s with a WatchStreamError, after delivering the good lines before it in the same chunk',
    (_name, bad, message) => {
      const dec = new WatchDecoder();
      const out: WatchEvent[] = [];
      expect(() =>
        dec.push(Buffer.from(line('ADDED', cm('a', '6')) + bad + line('ADDED', cm('b', '7'))), (e) => out.push(e)),
      ).toThrow(message);
      expect(out.map((e) => e.type)).toEqual(['ADDED']);
      expect(out[0]!.object).toMatchObject({ metadata: { name: 'a' } });
    },
  );

  it('bounds the length of a line, even one that never ends', () => {
    const dec = new WatchDecoder(1_000);
    expect(() => {
      for (let i = 0; i < 10; i++) dec.push(Buffer.alloc(200, 0x61), () => undefined);
    }).toThrow(/longer than 1000 bytes/);
    expect(decodeAll([Buffer.from(line('ADDED', cm('a', '6')))], 1_000)).toHaveLength(1);
  });
});
