// The Services proxy's side of a worker thread started by runProxierOnWorker (host-proxier.ts): it connects to the
// API server on its own, runs the proxy until told 'stop', and sends its log records back to the main thread.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Client } from '../client/client.ts';
import { httpsTransport } from '../client/transport.ts';
import { plainFields, type LogFields, type Logger, type LogLevel } from '../log.ts';
import { hostProxier, type ProxyWorkerData, type ProxyWorkerMessage } from './host-proxier.ts';

function forwardingLogger(port: MessagePort, path: string[]): Logger {
  const at = (level: LogLevel) => (msg: string, fields?: LogFields) => {
    const message: ProxyWorkerMessage = { log: { path, level, msg, ...(fields ? { fields: plainFields(fields) } : {}) } };
    try {
      port.postMessage(message);
    } catch {
      // A field the structured clone cannot copy (a function, say): the record goes without its fields.
      port.postMessage({ log: { path, level, msg, fields: { fields: '<not copyable to the main thread>' } } } satisfies ProxyWorkerMessage);
    }
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (sub) => forwardingLogger(port, [...path, sub]) };
}

/** Runs on the worker thread (not at import): until the main thread posts 'stop', or the proxy fails. */
export async function runProxyWorker(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('runProxyWorker runs on a worker thread');
  const { settings, connection } = workerData as ProxyWorkerData;
  const stop = new AbortController();
  port.on('message', (message: unknown) => message === 'stop' && stop.abort());
  const transport = httpsTransport(connection);
  try {
    await hostProxier(settings, new Client(transport), forwardingLogger(port, [])).start(stop.signal);
  } catch (err) {
    const failed = err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) };
    port.postMessage({ failed } satisfies ProxyWorkerMessage);
  } finally {
    await transport.close();
    port.close();
  }
}
