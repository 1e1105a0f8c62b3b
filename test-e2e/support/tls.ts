/**
 * A test CA and the webhook's serving certificate signed by it (what cert-manager's Issuer/Certificate in
 * manifests/base/webhook/certificates.yaml produce in a cluster). The API server verifies the webhook against
 * the CA in clientConfig.caBundle, by the IP SAN 127.0.0.1 (clientConfig.url https://127.0.0.1:PORT/...).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generate } from 'selfsigned';
import { writeCertDir } from '../../webhooks/tls/self-signed.js';

export interface WebhookTls {
  /** PEM of the CA, for clientConfig.caBundle (base64 of it). */
  caPem: string;
  /** tls.crt/tls.key for `kserve-llmd webhook --cert-dir`. */
  certDir: string;
}

const validity = (): { notBeforeDate: Date; notAfterDate: Date } => {
  const notBeforeDate = new Date(Date.now() - 60_000);
  return { notBeforeDate, notAfterDate: new Date(notBeforeDate.getTime() + 86_400_000) };
};

export async function makeWebhookTls(): Promise<WebhookTls> {
  const ca = await generate([{ name: 'commonName', value: 'kserve-llmd-e2e-ca' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ...validity(),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const leaf = await generate([{ name: 'commonName', value: 'kserve-llmd-webhook' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ...validity(),
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  const certDir = mkdtempSync(path.join(tmpdir(), 'kserve-llmd-e2e-tls-'));
  await writeCertDir(certDir, { cert: leaf.cert, key: leaf.private });
  return { caPem: ca.cert, certDir };
}
