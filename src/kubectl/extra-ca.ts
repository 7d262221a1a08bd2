// NODE_EXTRA_CA_CERTS, loaded only by the connection that needs it. Node reads and parses the whole file when it
// starts (a system bundle costs a short command tens of milliseconds), yet Skiff's kubectl trusts those roots only
// when the kubeconfig names no CA. So bin/skiff hands a kubectl run the path in SKIFF_DEFERRED_EXTRA_CA_CERTS instead;
// src/cli/main.ts puts NODE_EXTRA_CA_CERTS back at once (child processes see the caller's environment) and the
// Session gives a kubeconfig without a CA Node's default roots plus the file's certificates itself.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Tls from 'node:tls';
import type { ClientConfig } from './kubeconfig.ts';

export const DEFERRED_EXTRA_CA_ENV = 'SKIFF_DEFERRED_EXTRA_CA_CERTS';

// On globalThis, not in a module variable: after a rebuild the new bundle's modules run in this same process
// (src/cli/build-check.ts) and must still know that Node did not load the file.
const DEFERRED = Symbol.for('skiff.deferredExtraCaCerts');
type Holder = { [DEFERRED]?: string };

/** Moves a deferred path back to NODE_EXTRA_CA_CERTS and remembers that this process has not loaded it. */
export function restoreDeferredExtraCaCerts(env: NodeJS.ProcessEnv = process.env): void {
  const file = env[DEFERRED_EXTRA_CA_ENV];
  if (file === undefined) return;
  delete env[DEFERRED_EXTRA_CA_ENV];
  env['NODE_EXTRA_CA_CERTS'] = file;
  if (file) (globalThis as Holder)[DEFERRED] = file;
}

/** The file Node left unloaded, when bin/skiff deferred it. */
export function deferredExtraCaFile(): string | undefined {
  return (globalThis as Holder)[DEFERRED];
}

/** Forgets a deferral (for tests). */
export function clearDeferredExtraCaCerts(): void {
  delete (globalThis as Holder)[DEFERRED];
}

/**
 * tls.createSecureContext, without parsing a certificate store it will not use. Node builds its process-wide root
 * store with the first secure context even when `ca` replaces it; under --use-openssl-ca (which bin/skiff gives
 * kubectl) that store is read from SSL_CERT_FILE / SSL_CERT_DIR, a system bundle of ~140 certificates (~20 ms). With
 * `ca` given the store goes unused, so both variables are hidden for this one call (children still see them).
 */
export function createSecureContextFor(tls: typeof Tls, options: Tls.SecureContextOptions): Tls.SecureContext {
  if (!options.ca || !process.execArgv.includes('--use-openssl-ca')) return tls.createSecureContext(options);
  const hidden = ['SSL_CERT_FILE', 'SSL_CERT_DIR'].filter((name) => process.env[name] !== undefined).map((name) => [name, process.env[name]!] as const);
  for (const [name] of hidden) delete process.env[name];
  try {
    return tls.createSecureContext(options);
  } finally {
    for (const [name, value] of hidden) process.env[name] = value;
  }
}

/**
 * The connection's trust when bin/skiff deferred NODE_EXTRA_CA_CERTS and the kubeconfig names no CA: Node's bundled
 * roots plus the file's certificates, which is what Node would have trusted by default. Any other config is returned
 * as it is. A file that cannot be read leaves Node's bundled roots, with the warning Node gives at start.
 */
export function withDeferredExtraCa(config: ClientConfig): ClientConfig {
  const file = deferredExtraCaFile();
  if (!file || config.caPem || config.insecureSkipTlsVerify || !/^https:/i.test(config.server)) return config;
  const require = createRequire(import.meta.url);
  const { rootCertificates } = require('node:tls') as typeof Tls;
  let extra: string;
  try {
    extra = readFileSync(file, 'utf8');
  } catch (err) {
    process.emitWarning(`Ignoring extra certs from \`${file}\`, load failed: ${(err as Error).message}`);
    clearDeferredExtraCaCerts(); // warn once; later connections get Node's default
    return config;
  }
  return { ...config, caPem: Buffer.from(`${rootCertificates.join('\n')}\n${extra}`) };
}
