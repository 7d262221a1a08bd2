// Plain HTTP from the test process to pods, Services and NodePorts of a cluster under test.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** GET http://host:port/path on a fresh connection (no keep-alive: each request is load-balanced anew). */
export function httpGet(host: string, port: number, path = '/', timeoutMs = 3000): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port, path, timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET http://${host}:${port}${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
