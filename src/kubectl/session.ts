// What every command of Skiff's kubectl works with: its parsed flags, the kubeconfig, one REST connection and
// discovery, each made only when first needed.
import { bool, str, type FlagValues } from './flags.ts';
import { cacheDir, Discovery, discoveryCachePath } from './discovery.ts';
import { withDeferredExtraCa } from './extra-ca.ts';
import { kubeconfigFiles, loadMergedConfig, resolveClientConfig, type ClientConfig, type ConfigOverrides, type MergedConfig } from './kubeconfig.ts';
import { RestClient } from './rest.ts';

export interface KubectlIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

export class Session {
  #merged: MergedConfig | undefined;
  #config: ClientConfig | undefined;
  #rest: RestClient | undefined;
  #discovery: Discovery | undefined;

  constructor(
    readonly io: KubectlIO,
    readonly env: NodeJS.ProcessEnv,
    readonly flags: FlagValues,
    /** `get`, `create deployment`: for the Kubectl-Command header. */
    readonly command: string,
    /** How many positional arguments came before `--` (-1: no `--`), as cobra's ArgsLenAtDash. */
    readonly argsLenAtDash = -1,
  ) {}

  overrides(): ConfigOverrides {
    const f = this.flags;
    const o: ConfigOverrides = {};
    const set = <K extends keyof ConfigOverrides>(key: K, value: ConfigOverrides[K] | undefined) => {
      if (value !== undefined) o[key] = value;
    };
    set('kubeconfig', str(f, 'kubeconfig'));
    set('context', str(f, 'context'));
    set('cluster', str(f, 'cluster'));
    set('user', str(f, 'user'));
    set('namespace', str(f, 'namespace'));
    set('server', str(f, 'server'));
    set('token', str(f, 'token'));
    if (f.has('insecure-skip-tls-verify')) o.insecureSkipTlsVerify = bool(f, 'insecure-skip-tls-verify');
    set('certificateAuthority', str(f, 'certificate-authority'));
    set('clientCertificate', str(f, 'client-certificate'));
    set('clientKey', str(f, 'client-key'));
    set('tlsServerName', str(f, 'tls-server-name'));
    return o;
  }

  merged(): MergedConfig {
    if (!this.#merged) {
      const { files, explicit } = kubeconfigFiles(str(this.flags, 'kubeconfig'), this.env);
      this.#merged = loadMergedConfig(files, explicit);
    }
    return this.#merged;
  }

  config(): ClientConfig {
    return (this.#config ??= withDeferredExtraCa(resolveClientConfig(this.merged(), this.overrides())));
  }

  get namespace(): string {
    return this.config().namespace;
  }

  rest(): RestClient {
    return (this.#rest ??= new RestClient(this.config(), this.command));
  }

  discovery(): Discovery {
    if (!this.#discovery) {
      const rest = this.rest();
      this.#discovery = new Discovery(rest, discoveryCachePath(cacheDir(str(this.flags, 'cache-dir'), this.env), rest.host));
    }
    return this.#discovery;
  }

  close(): void {
    this.#rest?.close();
  }
}
