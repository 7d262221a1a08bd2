// `kubectl version`, `kubectl api-versions` and `kubectl cluster-info`.
import { bool, FallbackSignal, FlagError, str } from '../flags.ts';
import { KUBECTL_VERSION } from '../rest.ts';
import type { KubectlCommand } from '../main.ts';
import { toGoJson } from '../printers/output.ts';

interface VersionInfo {
  major?: string;
  minor?: string;
  gitVersion?: string;
  [k: string]: unknown;
}

function clientInfo(): VersionInfo {
  return {
    major: KUBECTL_VERSION.major,
    minor: KUBECTL_VERSION.minor,
    gitVersion: KUBECTL_VERSION.gitVersion,
    gitCommit: '',
    gitTreeState: 'clean',
    buildDate: '',
    goVersion: `node${process.versions.node}`,
    compiler: 'skiff',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

export const versionCommand: KubectlCommand = {
  flags: [
    { name: 'client', type: 'bool' },
    { name: 'output', short: 'o', type: 'string' },
  ],
  async run(session, args) {
    if (args.length) throw new FlagError(`unknown command "${args[0]}" for "kubectl version"`);
    const output = str(session.flags, 'output');
    if (output !== undefined && output !== 'json' && output !== 'yaml') throw new FlagError(`--output must be 'yaml' or 'json'`);
    const clientOnly = bool(session.flags, 'client');
    const out: { clientVersion: VersionInfo; kustomizeVersion: string; serverVersion?: VersionInfo } = { clientVersion: clientInfo(), kustomizeVersion: KUBECTL_VERSION.kustomize };
    let serverError: unknown;
    if (!clientOnly) {
      try {
        out.serverVersion = await session.rest().json<VersionInfo>({ path: '/version', accept: 'application/json, */*', query: { timeout: '32s' } });
      } catch (err) {
        serverError = err;
      }
    }
    if (output === 'json') session.io.stdout(`${toGoJson(out)}\n`);
    else if (output === 'yaml') session.io.stdout((await import('../printers/yaml.ts')).toGoYaml(out));
    else {
      let text = `Client Version: ${KUBECTL_VERSION.gitVersion}\nKustomize Version: ${KUBECTL_VERSION.kustomize}\n`;
      if (out.serverVersion) text += `Server Version: ${out.serverVersion.gitVersion ?? ''}\n`;
      session.io.stdout(text);
    }
    const server = out.serverVersion;
    if (server?.major && server.minor) {
      const skew = Math.abs(Number.parseInt(server.minor, 10) - Number(KUBECTL_VERSION.minor));
      if (server.major === KUBECTL_VERSION.major && skew > 1) {
        session.io.stderr(`WARNING: version difference between client (${KUBECTL_VERSION.major}.${KUBECTL_VERSION.minor}) and server (${server.major}.${Number.parseInt(server.minor, 10)}) exceeds the supported minor version skew of +/-1\n`);
      }
    }
    if (serverError) throw serverError;
    return 0;
  },
};

export const apiVersionsCommand: KubectlCommand = {
  flags: [],
  async run(session, args) {
    if (args.length) throw new FlagError(`unknown command "${args[0]}" for "kubectl api-versions"`);
    const data = await session.discovery().refresh();
    session.io.stdout([...new Set(data.groupVersions)].sort().map((v) => `${v}\n`).join(''));
    return 0;
  },
};

interface ServiceList {
  items?: Array<{
    metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
    spec?: { ports?: Array<{ name?: string; port?: number }> };
    status?: { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } };
  }>;
}

export const clusterInfoCommand: KubectlCommand = {
  flags: [],
  unsupported: ['output-directory', 'output', 'o'],
  async run(session, args) {
    if (args[0] === 'dump') throw new FallbackSignal('dump');
    const config = session.config();
    const namespace = str(session.flags, 'namespace') ?? 'kube-system';
    const list = await session.rest().json<ServiceList>({ path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/services`, query: { labelSelector: 'kubernetes.io/cluster-service=true' } });
    const color = process.stdout.isTTY === true;
    const line = (name: string, link: string) =>
      color ? `\x1b[0;32m${name}\x1b[0m is running at \x1b[0;33m${link}\x1b[0m\n` : `${name} is running at ${link}\n`;
    let text = line('Kubernetes control plane', config.server);
    for (const svc of list.items ?? []) {
      let link = '';
      const ingress = svc.status?.loadBalancer?.ingress ?? [];
      if (ingress.length) {
        const host = ingress[0]!.ip || ingress[0]!.hostname || '';
        for (const p of svc.spec?.ports ?? []) link += `http://${host}:${p.port} `;
      } else {
        let name = svc.metadata?.name ?? '';
        const port = svc.spec?.ports?.[0];
        if (port) {
          const scheme = port.name === 'https' || port.port === 443 ? 'https' : '';
          const portName = port.name ?? '';
          name = scheme ? `${scheme}:${name}:${portName}` : portName ? `${name}:${portName}` : name;
        }
        link = `${config.server}/api/v1/namespaces/${svc.metadata?.namespace ?? namespace}/services/${name}/proxy`;
      }
      text += line(svc.metadata?.labels?.['kubernetes.io/name'] || svc.metadata?.name || '', link);
    }
    session.io.stdout(`${text}\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n`);
    return 0;
  },
};
