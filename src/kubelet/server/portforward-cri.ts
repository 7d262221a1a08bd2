// Where the node agent's port-forward connections go. criPortForwardTarget goes through the runtime, as upstream
// does: CRI PortForward hands out a one-use URL on containerd's streaming server (kubelet's streaming package,
// vendored), which connects to localhost:<port> inside the sandbox's network namespace, so ports bound to 127.0.0.1
// in the pod are reachable. Skiff talks SPDY/3.1 to it, one session per forwarded connection: an error stream and a
// data stream, as kubectl does. podIPTarget is the fallback: plain TCP to the pod's IP.
import net from 'node:net';
import { Duplex } from 'node:stream';
import type { ContainerRuntime } from '../runtime.ts';
import { PORT_FORWARD_PROTOCOL, RemotePortForwardError, type PortForwardTarget } from './portforward.ts';
import { SpdySession, type SpdyStream } from './spdy.ts';
import { upgradeToSpdy } from './streaming-spdy.ts';

/** The runtime's streaming server refused the port-forward, or the connection to it broke. */
export class StreamingServerError extends Error {
  override name = 'StreamingServerError';
}

/** A pod's name and uid, for error messages. */
export interface PodRef {
  name: string;
  uid: string;
}

/**
 * Forwards through the runtime's streaming server into the sandbox's network namespace. Error messages name the pod
 * as containerd does (by sandbox id, no uid) unless `pod` is given.
 */
export function criPortForwardTarget(runtime: ContainerRuntime, podSandboxId: string, pod?: PodRef): PortForwardTarget {
  return {
    podName: pod?.name ?? podSandboxId,
    podUID: pod?.uid ?? '',
    async dial(port, signal) {
      const url = await runtime.portForward(podSandboxId, [port], signal);
      return dialStreamingPortForward(url, port, signal);
    },
  };
}

/**
 * Opens a port-forward URL of a CRI streaming server (http://127.0.0.1:<p>/portforward/<token>) and returns the
 * forwarded byte stream. What the server reports on the error stream destroys it with RemotePortForwardError, whose
 * message is upstream's ("error forwarding port 80 to pod <sandbox>, uid : failed to execute portforward …").
 */
export async function dialStreamingPortForward(url: string, port: number, signal?: AbortSignal): Promise<Duplex> {
  const socket = await upgradeToSpdy(url, signal, PORT_FORWARD_PROTOCOL, 'the port-forward upgrade');
  const session = new SpdySession(socket, { role: 'client' });
  const headers = { port: String(port), requestid: '0' };
  const error = session.openStream({ ...headers, streamtype: 'error' });
  error.end();
  const data = session.openStream({ ...headers, streamtype: 'data' });
  const onAbort = () => session.destroy();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.all([error.replied, data.replied]);
  } catch (problem) {
    session.destroy();
    if (signal?.aborted) throw signal.reason;
    throw new StreamingServerError(`the runtime's streaming server did not accept the port-forward streams`, { cause: problem });
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  return new ForwardedConnection(session, data, error);
}

/**
 * The data stream of one forwarded connection, ended only once the error stream has ended empty; a message on the
 * error stream destroys it with RemotePortForwardError. Destroying it ends the SPDY session.
 */
class ForwardedConnection extends Duplex {
  readonly #session: SpdySession;
  readonly #data: SpdyStream;
  #errorText = '';
  #dataEnded = false;
  #errorEnded = false;

  constructor(session: SpdySession, data: SpdyStream, error: SpdyStream) {
    super({ allowHalfOpen: true });
    this.#session = session;
    this.#data = data;
    const lost = (stream: SpdyStream) => () => {
      if (!stream.readableEnded) this.destroy(new StreamingServerError("the connection to the runtime's streaming server closed"));
    };
    data.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) data.pause();
    });
    data.on('end', () => {
      this.#dataEnded = true;
      this.#endIfDone();
    });
    data.on('error', () => undefined);
    data.on('close', lost(data));
    error.setEncoding('utf8');
    error.on('data', (text: string) => (this.#errorText += text));
    error.on('end', () => {
      this.#errorEnded = true;
      if (this.#errorText) this.destroy(new RemotePortForwardError(this.#errorText));
      else this.#endIfDone();
    });
    error.on('error', () => undefined);
    error.on('close', lost(error));
  }

  override _read(): void {
    this.#data.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#data.write(chunk, (error) => callback(error ?? null));
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#data.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#session.close();
    callback(error);
  }

  #endIfDone(): void {
    if (this.#dataEnded && this.#errorEnded && !this.destroyed) this.push(null);
  }
}

// Go's wording of connect errors, which upstream's messages carry ("dial tcp4 127.0.0.1:80: connect: connection refused").
const CONNECT_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  ECONNRESET: 'connection reset by peer',
};

/** A TCP connection to podIP:port could not be made. */
export class PodDialError extends Error {
  override name = 'PodDialError';
}

/** Forwards by plain TCP to the pod's IP: reaches only ports the pod listens on at that address. */
export function podIPTarget(podIP: string, pod?: PodRef): PortForwardTarget {
  return {
    ...(pod && { podName: pod.name, podUID: pod.uid }),
    dial(port, signal) {
      return new Promise<Duplex>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        const family = net.isIPv6(podIP) ? 6 : 4;
        const socket = net.connect({ host: podIP, port, allowHalfOpen: true });
        const onAbort = () => {
          socket.destroy();
          reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        socket.once('connect', () => {
          signal.removeEventListener('abort', onAbort);
          socket.off('error', onError);
          socket.setNoDelay(true);
          resolve(socket);
        });
        const onError = (error: NodeJS.ErrnoException) => {
          signal.removeEventListener('abort', onAbort);
          const address = family === 6 ? `[${podIP}]:${port}` : `${podIP}:${port}`;
          const reason = (error.code && CONNECT_ERRORS[error.code]) ?? error.message;
          reject(new PodDialError(`dial tcp${family} ${address}: connect: ${reason}`, { cause: error }));
        };
        socket.once('error', onError);
      });
    },
  };
}
