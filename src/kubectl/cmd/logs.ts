// `kubectl logs POD [-c CONTAINER]`: a pod's container log through the API server's pods/log subresource, with -f,
// --tail, --previous, --timestamps and --limit-bytes. Other objects (deploy/x), selectors, --all-containers, --since
// and pods with several containers and no -c (kubectl's defaulting message) are left to the real kubectl.
import { bool, FallbackSignal, str } from '../flags.ts';
import { ApiError } from '../rest.ts';
import type { KubectlCommand } from '../main.ts';

type Fields = Record<string, any>;

const POD_TYPES = new Set(['pod', 'pods', 'po']);

export const logsCommand: KubectlCommand = {
  flags: [
    { name: 'container', short: 'c', type: 'string' },
    { name: 'follow', short: 'f', type: 'bool' },
    { name: 'previous', short: 'p', type: 'bool' },
    { name: 'tail', type: 'int' },
    { name: 'timestamps', type: 'bool' },
    { name: 'limit-bytes', type: 'int' },
    { name: 'pod-running-timeout', type: 'string' },
    { name: 'insecure-skip-tls-verify-backend', type: 'bool' },
  ],
  unsupported: ['all-containers', 'all-pods', 'selector', 'l', 'since', 'since-time', 'prefix', 'ignore-errors', 'max-log-requests'],
  async run(session, args) {
    const f = session.flags;
    if (args.length === 0 || args.length > 2) {
      if (args.length > 2) throw new FallbackSignal('arguments');
      session.io.stderr("error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command\nSee 'kubectl logs -h' for help and examples\n");
      return 1;
    }
    let podName = args[0]!;
    const slash = podName.indexOf('/');
    if (slash !== -1) {
      if (!POD_TYPES.has(podName.slice(0, slash).toLowerCase())) throw new FallbackSignal('logs of a non-pod');
      podName = podName.slice(slash + 1);
    }
    let container = str(f, 'container');
    if (args.length === 2) {
      if (container !== undefined || slash !== -1) throw new FallbackSignal('container argument');
      container = args[1];
    }
    const ns = session.namespace;
    const rest = session.rest();
    const podPath = `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(podName)}`;
    let pod: Fields;
    try {
      pod = await rest.json<Fields>({ path: podPath });
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'NotFound') {
        session.io.stderr(`error: error from server (NotFound): ${err.status.message ?? err.message} in namespace "${ns}"\n`);
        return 1;
      }
      throw err;
    }
    const spec = pod['spec'] ?? {};
    const names = [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])].map((c: Fields) => c['name'] as string);
    if (container === undefined) {
      if ((spec.containers ?? []).length !== 1) throw new FallbackSignal('container defaulting');
      container = spec.containers[0].name as string;
    } else if (!names.includes(container)) {
      session.io.stderr(`error: container ${container} is not valid for pod ${podName}\n`);
      return 1;
    }
    const query: Record<string, string | boolean | undefined> = { container };
    if (bool(f, 'follow')) query['follow'] = true;
    if (bool(f, 'previous')) query['previous'] = true;
    if (bool(f, 'timestamps')) query['timestamps'] = true;
    if (bool(f, 'insecure-skip-tls-verify-backend')) query['insecureSkipTLSVerifyBackend'] = true;
    const tail = str(f, 'tail');
    if (tail !== undefined && Number(tail) >= 0) query['tailLines'] = tail;
    const limit = str(f, 'limit-bytes');
    if (limit !== undefined && Number(limit) > 0) query['limitBytes'] = limit;
    const decoder = new TextDecoder(); // a character may be split between chunks
    await rest.request({ path: `${podPath}/log`, query, accept: '*/*', onData: (chunk) => session.io.stdout(decoder.decode(chunk, { stream: true })) });
    const tailText = decoder.decode();
    if (tailText) session.io.stdout(tailText);
    return 0;
  },
};
