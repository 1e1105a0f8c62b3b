/**
 * Certificate fixtures for server tests. Certificates are written the way kubelet presents a
 * mounted Secret: dir/tls.crt -> ..data/tls.crt, ..data -> ..<timestamp>, and a rotation is a new
 * timestamped directory plus an atomic rename of a fresh `..data` symlink over the old one.
 */
import { mkdtemp, mkdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSelfSigned, type PemPair } from '../../webhooks/tls/self-signed.js';

export type { PemPair };

let generation = 0;

export function certFor(commonName: string): Promise<PemPair> {
  return generateSelfSigned({ commonName, altNames: ['localhost', '127.0.0.1'], days: 1 });
}

/** Writes `files` as kubelet's atomic writer does (pkg/volume/util/atomic_writer.go). */
export async function kubeletWrite(dir: string, files: Record<string, string>): Promise<void> {
  const version = `..${new Date().toISOString().replace(/[:.]/g, '_')}.${process.pid}.${++generation}`;
  await mkdir(join(dir, version));
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(dir, version, name), content, { mode: name.endsWith('.key') ? 0o600 : 0o644 });
  }
  const old = await readlink(join(dir, '..data')).catch(() => undefined);
  await symlink(version, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data')); // the atomic swap
  for (const name of Object.keys(files)) {
    await symlink(join('..data', name), join(dir, name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  }
  if (old) await rm(join(dir, old), { recursive: true, force: true });
}

export interface CertDir {
  dir: string;
  /** Rotates to a pair (kubelet-style). */
  rotate(pair: PemPair): Promise<void>;
  cleanup(): Promise<void>;
}

export async function makeCertDir(pair: PemPair): Promise<CertDir> {
  const dir = await mkdtemp(join(tmpdir(), 'kserve-llmd-certs-'));
  const rotate = (p: PemPair): Promise<void> => kubeletWrite(dir, { 'tls.crt': p.cert, 'tls.key': p.key });
  await rotate(pair);
  return { dir, rotate, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
