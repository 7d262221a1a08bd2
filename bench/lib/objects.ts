// The objects the benchmarks write: a small ConfigMap (~200 bytes of data) and a small but realistic Pod.
import { randomUUID } from 'node:crypto';

/** ~200 bytes of configuration, the same for every ConfigMap. */
const configData: Record<string, string> = {
  'app.properties': 'log.level=info\nserver.port=8080\nserver.threads=16\ncache.ttl=300s\nfeature.flags=alpha,beta\nmax.body=1MiB\ncache.size=512\n',
  'endpoints.yaml': 'upstream: http://backend.bench.svc:8080\nretries: 3\ntimeout: 5s\nregion: eu-west-1\n',
};

export function configMapBody(name: string): Buffer {
  return Buffer.from(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { app: 'bench' } }, data: configData }));
}

/** What skiff stores for that ConfigMap: the object with server-set metadata, without resourceVersion. */
export function storedConfigMap(namespace: string, name: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace, uid: randomUUID(), creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), labels: { app: 'bench' } },
      data: configData,
    }),
  );
}

export function podBody(name: string, index: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { app: 'web', tier: 'frontend', 'pod-template-hash': '7d9f8c6b5', shard: String(index % 10) } },
      spec: {
        containers: [
          {
            name: 'web',
            image: 'nginx:1.27.3',
            ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
            env: [{ name: 'SHARD', value: String(index % 10) }],
            resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
          },
        ],
      },
    }),
  );
}

export const dataBytes = Object.values(configData).reduce((n, v) => n + Buffer.byteLength(v), 0);
