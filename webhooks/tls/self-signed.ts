/**
 * Self-signed serving certificates for local runs, tests and benchmarks. In a cluster cert-manager
 * writes the Secret instead (style.md §4.7); this exists so `kserve-llmd webhook` works without one.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface PemPair {
  cert: string;
  key: string;
}

export interface SelfSignedOptions {
  commonName: string;
  /** DNS names and IP addresses for the subjectAltName; clients verify against SAN, not CN. */
  altNames?: string[];
  days?: number;
}

/** selfsigned 5 is async-only (WebCrypto). EC P-256 keys: fast to generate and to handshake. */
export async function generateSelfSigned(opts: SelfSignedOptions): Promise<PemPair> {
  const altNames = opts.altNames ?? ['localhost', '127.0.0.1'];
  const notBeforeDate = new Date(Date.now() - 60_000); // tolerate small clock skew
  const notAfterDate = new Date(notBeforeDate.getTime() + (opts.days ?? 365) * 86_400_000);
  const pems = await generate([{ name: 'commonName', value: opts.commonName }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256', // selfsigned's default is sha1, which modern clients reject
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: altNames.map((n) => (isIP(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n })),
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/**
 * Writes tls.crt and tls.key (key mode 0600) into `dir`, as a mounted kubernetes.io/tls Secret
 * presents them. Each file goes through a temp name + rename so a reader never sees half a file.
 */
export async function writeCertDir(dir: string, pair: PemPair): Promise<void> {
  await mkdir(dir, { recursive: true });
  await atomicWrite(join(dir, 'tls.key'), pair.key, 0o600);
  await atomicWrite(join(dir, 'tls.crt'), pair.cert, 0o644);
}

async function atomicWrite(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data, { mode });
  await rename(tmp, path);
}
