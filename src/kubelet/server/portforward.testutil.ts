// Test support: the least of an API server that real `kubectl port-forward pod/<name>` needs (legacy discovery of
// pods, the pod GET, the /portforward upgrade), over plain HTTP on loopback, routing the upgrade to a handler. Lets
// the real kubectl drive the port-forward handler without the rest of Skiff.
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';

export interface FakePod {
  namespace: string;
  name: string;
  uid: string;
  phase?: string;
}

export interface PortForwardApiServer {
  url: string;
  /** A kubeconfig for this server, written into the directory given. */
  kubeconfig: string;
  /** Every request's method and path, upgrades included. */
  requests: string[];
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startPortForwardApiServer(options: {
  dir: string;
  pod: FakePod;
  onPortForward: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}): Promise<PortForwardApiServer> {
  const { pod } = options;
  const podPath = `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}`;
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${req.method} ${url.pathname}`);
    if (url.pathname === '/api') return json(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    if (url.pathname === '/apis') return json(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
    if (url.pathname === '/api/v1') {
      const verbs = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
      return json(res, 200, {
        kind: 'APIResourceList',
        groupVersion: 'v1',
        resources: [
          { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs, shortNames: ['po'], categories: ['all'] },
          { name: 'pods/portforward', singularName: '', namespaced: true, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
        ],
      });
    }
    if (req.method === 'GET' && url.pathname === podPath) {
      return json(res, 200, {
        kind: 'Pod',
        apiVersion: 'v1',
        metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid, resourceVersion: '1', creationTimestamp: '2025-01-01T00:00:00Z' },
        spec: { containers: [{ name: 'main', image: 'busybox', ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }] }] },
        status: { phase: pod.phase ?? 'Running', podIP: '127.0.0.1' },
      });
    }
    json(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `${url.pathname} not found`, reason: 'NotFound', code: 404 });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${req.method} ${url.pathname} (upgrade: ${req.headers.upgrade})`);
    if (url.pathname === `${podPath}/portforward`) return options.onPortForward(req, socket, head);
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const kubeconfig = path.join(options.dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: fake, cluster: {server: "' + url + '"}}]',
      'users: [{name: fake, user: {}}]',
      `contexts: [{name: fake, context: {cluster: fake, user: fake, namespace: ${pod.namespace}}}]`,
      'current-context: fake',
      '',
    ].join('\n'),
  );
  return {
    url,
    kubeconfig,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
