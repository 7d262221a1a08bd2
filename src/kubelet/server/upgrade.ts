// Answering on a socket taken over from the HTTP server by an 'upgrade' request: plain HTTP errors before any
// protocol starts, and a raw pass-through of an upgrade to another server (as upstream's UpgradeAwareHandler does).
import net from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';

/** Writes a complete HTTP/1.1 response with a plain-text body and closes the socket. */
export function writeHttpError(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}): void {
  if (socket.destroyed) return;
  const body = Buffer.from(message);
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${body.length}`,
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.end(Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n'), body]));
}

// Connection-scoped headers of the hop to this server; the upgrade's own Connection/Upgrade are written explicitly.
const HOP_HEADERS = new Set(['host', 'connection', 'upgrade', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'content-length', 'authorization']);

/** The request line and headers of `req`, addressed to `target` (for writing on a fresh connection), less those `drop` names. */
export function upgradeRequestHead(req: IncomingMessage, target: URL, drop: (name: string) => boolean = () => false): Buffer {
  const lines = [`${req.method ?? 'GET'} ${target.pathname}${target.search} HTTP/1.1`, `Host: ${target.host}`, 'Connection: Upgrade', `Upgrade: ${req.headers.upgrade ?? ''}`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    if (!HOP_HEADERS.has(name.toLowerCase()) && !drop(name)) lines.push(`${name}: ${req.rawHeaders[i + 1] ?? ''}`);
  }
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n');
}

/**
 * Passes an upgrade request through to an http:// URL (the runtime's streaming server) and then joins the two
 * sockets: the backend's answer, 101 or not, goes to the client as it is. Resolves when both sides have closed.
 */
export function passUpgradeThrough(req: IncomingMessage, socket: Duplex, head: Buffer, target: URL): Promise<void> {
  return new Promise<void>((resolve) => {
    const backend = net.connect({ host: target.hostname.replace(/^\[|\]$/g, ''), port: Number(target.port || 80) });
    let done = false;
    let connected = false;
    const finish = () => {
      if (done) return;
      done = true;
      backend.destroy();
      socket.destroy();
      resolve();
    };
    backend.once('connect', () => {
      connected = true;
      backend.write(upgradeRequestHead(req, target));
      if (head.length) backend.write(head);
      backend.pipe(socket);
      socket.pipe(backend);
    });
    backend.on('error', (err) => {
      if (connected) return finish();
      done = true;
      writeHttpError(socket, 500, `error dialing backend: ${err.message}`);
      resolve();
    });
    backend.on('close', finish);
    socket.on('error', finish);
    socket.on('close', finish);
  });
}
