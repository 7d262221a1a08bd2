// The Services proxy on a worker thread (as `skiff up` runs it): started from source here (tsx's loader registered in
// the worker), writing its rules in a network namespace of its own, its log records arriving at the main thread's
// logger, and stopping when told. services.test.ts runs it from the bundle, through `skiff up`, with real traffic.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { Service } from 'kubernetes-types/core/v1.d.ts';
import type { LogFields, Logger, LogLevel } from '../../src/log.ts';
import { runProxierOnWorker } from '../../src/proxy/index.ts';
import { gvr, startTestCluster, type TestCluster } from '../support/cluster.ts';
import { eventually, readKubeconfig } from '../support/server.ts';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;

interface LogRecord {
  component: string;
  level: LogLevel;
  msg: string;
  fields?: LogFields | undefined;
}

function recordingLogger(records: LogRecord[], component = 'proxy'): Logger {
  const at = (level: LogLevel) => (msg: string, fields?: LogFields) => void records.push({ component, level, msg, fields });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (sub) => recordingLogger(records, `${component}.${sub}`) };
}

describe('the Services proxy on a worker thread', { skip: !isRoot && 'needs root (a network namespace and iptables)', timeout: 120_000 }, () => {
  const NODE = `skt-pw-${randomBytes(3).toString('hex')}`;
  let cluster: TestCluster;

  before(async () => {
    await run('ip', ['netns', 'add', NODE]);
    await run('ip', ['netns', 'exec', NODE, 'ip', 'link', 'set', 'lo', 'up']);
    cluster = await startTestCluster();
  });

  after(async () => {
    await cluster?.stop();
    await run('ip', ['netns', 'delete', NODE]).catch(() => undefined);
  });

  it('writes a Service’s rules, forwards its log records, and stops when the signal aborts', async () => {
    const records: LogRecord[] = [];
    const stop = new AbortController();
    const settings = { nodeName: 'node-a', nodeIPs: ['192.168.79.1'], clusterCIDR: '10.244.0.0/16', netns: NODE };
    let settled = false;
    const running = runProxierOnWorker(settings, readKubeconfig(cluster.kubeconfig), recordingLogger(records), stop.signal);
    const markSettled = () => void (settled = true);
    running.then(markSettled, markSettled);
    const service: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } };
    const created = (await cluster.client.create(gvr.services, 'default', service as never)) as unknown as Service;
    const clusterIP = created.spec!.clusterIP!;
    await eventually('the worker writes the Service’s ClusterIP rule (a reject: it has no endpoints)', async () => {
      const { stdout } = await run('ip', ['netns', 'exec', NODE, 'iptables-nft-save']);
      return stdout.includes(`-d ${clusterIP}/32`) && stdout.includes('default/web:http') ? true : undefined;
    });
    // The proxy logs its kernel settings at start (route_localnet for NodePorts on 127.0.0.1) under its own name.
    assert.ok(
      records.some((r) => r.component === 'proxy' && r.level === 'info' && r.msg.includes('route_localnet')),
      `the worker's log records reach the main thread's logger: ${JSON.stringify(records)}`,
    );
    assert.equal(settled, false, 'the proxy keeps running until told to stop');
    stop.abort();
    await running;
    assert.ok(!records.some((r) => r.level === 'error'), `no errors: ${JSON.stringify(records.filter((r) => r.level === 'error'))}`);
  });
});
