// exec and attach toward the client: the WebSocket channel protocol (`v5.channel.k8s.io`, and `v4.channel.k8s.io`
// for older clients). Every binary message starts with its channel: 0 stdin, 1 stdout, 2 stderr, 3 the final
// metav1.Status, 4 terminal resize ({"Width","Height"}); under v5 a message on channel 255 closes the channel named by
// its second byte (stdin's end of file). The relay joins such a client to a RemoteCommandBackend: a session on the
// runtime's streaming server.
import type { WebSocket, RawData } from 'ws';
import type { Logger } from '../../log.ts';

export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

export const PROTOCOL_V5 = 'v5.channel.k8s.io';
export const PROTOCOL_V4 = 'v4.channel.k8s.io';
/** What the server accepts from clients, best first. */
export const CLIENT_PROTOCOLS = [PROTOCOL_V5, PROTOCOL_V4] as const;

/** The subprotocol to answer with: the first one the client offers that the server speaks (golang.org/x/net/websocket's rule). */
export function chooseProtocol(offered: Iterable<string>): string | undefined {
  for (const p of offered) if ((CLIENT_PROTOCOLS as readonly string[]).includes(p)) return p;
  return undefined;
}

export type BackendFrameListener = (channel: number, data: Buffer) => void;

/** One exec or attach session on the runtime's streaming server. */
export interface RemoteCommandBackend {
  /** Whether closeStdin reaches the process as end of file (SPDY can; containerd's v4 WebSocket cannot). */
  readonly canCloseStdin: boolean;
  /** Output frames (channels 1–3) in order; `end` once the session is over. */
  listen(onFrame: BackendFrameListener, onEnd: (err?: Error) => void): void;
  stdin(data: Buffer): void;
  closeStdin(): void;
  /** A resize message's JSON, as the client sent it. */
  resize(json: Buffer): void;
  /** Stop reading output until resume (the client is slow). */
  pause(): void;
  resume(): void;
  close(): void;
}

/** Above this many bytes queued toward the client, output from the runtime waits. */
const HIGH_WATER = 1 << 20;

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * Joins a client WebSocket (already upgraded with `protocol`) to a backend session until either ends; resolves
 * then. Output, the final status and the close reach the client in the order the runtime sent them.
 */
export function relayRemoteCommand(client: WebSocket, protocol: string, backend: RemoteCommandBackend, logger: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    let finished = false;
    let paused = false;
    const finish = (closeClient: boolean) => {
      if (finished) return;
      finished = true;
      if (closeClient && client.readyState === client.OPEN) client.close(1000);
      backend.close();
      resolve();
    };

    client.on('message', (raw, isBinary) => {
      const msg = toBuffer(raw);
      if (!isBinary || msg.length === 0) return;
      const channel = msg[0]!;
      const data = msg.subarray(1);
      if (channel === CHANNEL.close && protocol === PROTOCOL_V5) {
        if (data[0] === CHANNEL.stdin) {
          if (!backend.canCloseStdin) logger.warn('stdin closed by the client, but the runtime session cannot pass end of file on');
          backend.closeStdin();
        }
        return;
      }
      if (channel === CHANNEL.stdin) backend.stdin(data);
      else if (channel === CHANNEL.resize) backend.resize(data);
    });
    client.on('close', () => finish(false));
    client.on('error', (err) => {
      logger.debug('exec client connection failed', { error: err });
      finish(false);
    });

    backend.listen(
      (channel, data) => {
        if (finished || client.readyState !== client.OPEN) return;
        // containerd announces a channel with an empty message; the client needs none.
        if (data.length === 0) return;
        client.send(Buffer.concat([Buffer.from([channel]), data]), { binary: true }, () => {
          if (paused && client.bufferedAmount < HIGH_WATER / 2) {
            paused = false;
            backend.resume();
          }
        });
        if (!paused && client.bufferedAmount > HIGH_WATER) {
          paused = true;
          backend.pause();
        }
      },
      (err) => {
        if (err) logger.debug('exec session on the runtime ended with an error', { error: err });
        finish(true);
      },
    );
  });
}
