/** A kubeconfig (YAML) for a loopback fake API server: one cluster without TLS verification, one bearer token. */
export function fakeKubeconfig(server: string, token = 'fake-token'): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'current-context: fake',
    `clusters: [{name: fake, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]`,
    `users: [{name: fake, user: {token: ${token}}}]`,
    'contexts: [{name: fake, context: {cluster: fake, user: fake}}]',
  ].join('\n');
}
