// `kubectl port-forward TYPE/NAME [LOCAL_PORT:]REMOTE_PORT...`: forwards local ports to a pod (or the pod a
// deployment, service… selects) through pods/portforward, as kubectl 1.35 does: `Forwarding from 127.0.0.1:8080 -> 80`
// per listener, `Handling connection for 8080` per connection, until interrupted or the connection to the pod is lost.
import type { Pod, Service } from 'kubernetes-types/core/v1.d.ts';
import { str, strs } from '../flags.ts';
import type { KubectlCommand } from '../main.ts';

export const portForwardCommand: KubectlCommand = {
  flags: [
    { name: 'address', type: 'strings' },
    { name: 'pod-running-timeout', type: 'string' },
  ],
  async run(session, args) {
    const { podRunningTimeout, resolvePod } = await import('../stream/pods.ts');
    const { reportStreamError, timeoutError, usageError } = await import('../stream/executor.ts');
    const pf = await import('../stream/portforward.ts');
    const f = session.flags;
    const fail = (message: string) => {
      session.io.stderr(`error: ${message}\n`);
      return 1;
    };
    if (args.length < 2) return usageError(session, 'port-forward', 'TYPE/NAME and list of ports are required for port-forward');
    const timeout = podRunningTimeout(str(f, 'pod-running-timeout'));
    const badTimeout = timeoutError(session, 'port-forward', timeout);
    if (badTimeout !== undefined || typeof timeout !== 'number') return badTimeout ?? 1;
    try {
      const { pod: found, object } = await resolvePod(session, args[0]!, timeout);
      const specs = args.slice(1);
      const converted = object['kind'] === 'Service' ? pf.servicePorts(specs, object as Service, found) : pf.podPorts(specs, found);
      if (converted.length < 1) return fail('at least 1 PORT is required for port-forward');
      const namespace = session.namespace;
      const podPath = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(found.metadata?.name ?? '')}`;
      const pod = await session.rest().json<Pod>({ path: podPath });
      if (pod.status?.phase !== 'Running') return fail(`unable to forward port because pod is not running. Current status=${pod.status?.phase ?? ''}`);
      const addresses = pf.parseAddresses(f.has('address') ? strs(f, 'address') : ['localhost']);
      const ports = pf.parsePorts(converted);
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      try {
        const spdy = await pf.dialPortForward({ config: session.config(), path: `${podPath}/portforward`, query: [], command: 'port-forward' });
        const forwarder = new pf.PortForwarder(spdy, { addresses, ports, out: process.stdout, errOut: process.stderr });
        try {
          await forwarder.listen();
        } catch (err) {
          spdy.close();
          throw err;
        }
        await forwarder.run(stop.signal);
      } finally {
        process.off('SIGINT', onSignal);
      }
      return 0;
    } catch (err) {
      if (err instanceof pf.PortForwardError) return fail(err.message);
      return reportStreamError(session, err);
    }
  },
};
