import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log.js';
import { generateSelfSigned, writeCertDir } from '../../webhooks/tls/self-signed.js';

function collect(): { stream: Writable; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { stream, lines };
}

describe('createLogger', () => {
  it('writes one JSON object per line with time, level, msg and fields, filtered by level', () => {
    const { stream, lines } = collect();
    const log = createLogger({ level: 'info', stream });
    log.debug('hidden');
    log.info('hello', { uid: 'u1' });
    log.error('bad', { err: new Error('boom') });
    expect(lines.map((l) => l.msg)).toEqual(['hello', 'bad']);
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'hello', uid: 'u1' });
    expect(new Date(lines[0]!.time as string).toISOString()).toBe(lines[0]!.time);
    expect(lines[1]!.err).toEqual({ name: 'Error', message: 'boom' });
  });

  it('child loggers add fields but cannot overwrite time/level/msg', () => {
    const { stream, lines } = collect();
    const log = createLogger({ level: 'warn', stream }).child({ component: 'tls' });
    log.info('dropped');
    log.warn('kept', { level: 'debug', msg: 'spoof', n: 1n });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ component: 'tls', level: 'warn', msg: 'kept', n: '1' });
  });

  it('survives circular fields', () => {
    const { stream, lines } = collect();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    createLogger({ stream }).info('cycle', { cyclic });
    expect(lines[0]).toMatchObject({ msg: 'cycle', cyclic: { self: '[Circular]' } });
  });
});

describe('self-signed certificates', () => {
  it('carries the common name and DNS + IP subjectAltNames, with a matching key', async () => {
    const pair = await generateSelfSigned({
      commonName: 'kserve-llmd-webhook',
      altNames: ['localhost', '127.0.0.1'],
      days: 2,
    });
    const x509 = new X509Certificate(pair.cert);
    expect(x509.subject).toBe('CN=kserve-llmd-webhook');
    expect(x509.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
    expect(x509.checkPrivateKey(createPrivateKey(pair.key))).toBe(true);
    expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
    const days = (Date.parse(x509.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(1.9);
    expect(days).toBeLessThan(2.1);
  });

  it('writes tls.crt and tls.key, the key readable by the owner only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kserve-llmd-write-'));
    try {
      const pair = await generateSelfSigned({ commonName: 'x' });
      await writeCertDir(join(dir, 'certs'), pair);
      expect(await readFile(join(dir, 'certs', 'tls.crt'), 'utf8')).toBe(pair.cert);
      expect(await readFile(join(dir, 'certs', 'tls.key'), 'utf8')).toBe(pair.key);
      expect((await stat(join(dir, 'certs', 'tls.key'))).mode & 0o777).toBe(0o600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
