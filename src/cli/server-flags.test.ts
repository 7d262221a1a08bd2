import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, test } from 'node:test';
import { UsageError } from './command.ts';
import {
  defaultAdvertiseAddress,
  defaultRouteInterface,
  firstServiceIPs,
  localServerURL,
  parseServerFlags,
  servingHosts,
  type ServerEnvironment,
} from './server-flags.ts';

const user: ServerEnvironment = { isRoot: false, homeDir: '/home/u', cwd: '/work', stderrIsTTY: false };
const root: ServerEnvironment = { ...user, isRoot: true, stderrIsTTY: true };

describe('parseServerFlags', () => {
  test('defaults for a normal user', () => {
    assert.deepEqual(parseServerFlags([], user), {
      dataDir: '/home/u/.skiff',
      securePort: 6443,
      bindAddress: '0.0.0.0',
      datastoreEndpoint: 'sqlite:///home/u/.skiff/db/state.db',
      serviceCIDR: '10.96.0.0/12',
      nodePortRange: [30000, 32767],
      clusterCIDR: '10.244.0.0/16',
      nodeCIDRMaskSize: 24,
      logFormat: 'json',
      compaction: { intervalMs: 300_000, keepRevisions: 1000 },
      disable: new Set(),
    });
  });

  test('root keeps state in /var/lib/skiff; a terminal gets text logs', () => {
    const flags = parseServerFlags([], root);
    assert.equal(flags.dataDir, '/var/lib/skiff');
    assert.equal(flags.datastoreEndpoint, 'sqlite:///var/lib/skiff/db/state.db');
    assert.equal(flags.logFormat, 'text');
  });

  test('every flag, in both --flag value and --flag=value forms', () => {
    const flags = parseServerFlags(
      [
        '-d', 'state',
        '--secure-port=0',
        '--bind-address', '127.0.0.1',
        '--advertise-address=192.0.2.1',
        '--datastore-endpoint', 'etcd://127.0.0.1:2379,127.0.0.2:2379',
        '--service-cluster-ip-range=10.100.0.0/16,fd00::/108',
        '--service-node-port-range', '31000-31999',
        '--cluster-cidr=10.32.0.0/12',
        '--node-cidr-mask-size', '26',
        '--log-format', 'text',
        '--storage-compaction-interval', '1m30s',
        '--storage-compaction-keep=10',
        '--disable', 'dns',
        '--disable=servicelb,dns',
      ],
      user,
    );
    assert.deepEqual(flags, {
      dataDir: '/work/state',
      securePort: 0,
      bindAddress: '127.0.0.1',
      advertiseAddress: '192.0.2.1',
      datastoreEndpoint: 'etcd://127.0.0.1:2379,127.0.0.2:2379',
      serviceCIDR: '10.100.0.0/16,fd00::/108',
      nodePortRange: [31000, 31999],
      clusterCIDR: '10.32.0.0/12',
      nodeCIDRMaskSize: 26,
      logFormat: 'text',
      compaction: { intervalMs: 90_000, keepRevisions: 10 },
      disable: new Set(['dns', 'servicelb']),
    });
  });

  const bad: Array<[string[], RegExp]> = [
    [['--nope'], /^unknown flag: --nope$/],
    [['--data-dir'], /^flag needs an argument: --data-dir$/],
    [['extra'], /^unexpected argument extra$/],
    [['--secure-port', '70000'], /"--secure-port"/],
    [['--secure-port', '-1'], /flag needs an argument|"--secure-port"/],
    [['--bind-address', 'localhost'], /"--bind-address": not an IP address/],
    [['--advertise-address', '1.2.3'], /"--advertise-address"/],
    [['--service-cluster-ip-range', '10.96.0.0'], /"--service-cluster-ip-range"/],
    [['--service-cluster-ip-range', '10.96.0.0/33'], /"--service-cluster-ip-range"/],
    [['--service-node-port-range', '32767-30000'], /"--service-node-port-range"/],
    [['--service-node-port-range', '30000'], /"--service-node-port-range"/],
    [['--cluster-cidr', '10.244.0.0'], /"--cluster-cidr"/],
    [['--node-cidr-mask-size', 'big'], /"--node-cidr-mask-size"/],
    [['--storage-compaction-interval', '5'], /"--storage-compaction-interval": want a duration/],
    [['--storage-compaction-interval', '0s'], /"--storage-compaction-interval"/],
    [['--storage-compaction-keep', 'many'], /"--storage-compaction-keep": want a whole number/],
    [['--disable', 'traefik'], /invalid argument "traefik" for "--disable": want dns or servicelb/],
    [['--log-format', 'xml'], /"--log-format"/],
    [['--datastore-endpoint', '/var/db'], /"--datastore-endpoint"/],
  ];
  for (const [args, message] of bad) {
    test(`refuses ${args.join(' ')}`, () => {
      assert.throws(() => parseServerFlags(args, user), (err: unknown) => err instanceof UsageError && message.test(err.message));
    });
  }
});

test('localServerURL: loopback when listening everywhere, else the bound address', () => {
  assert.equal(localServerURL('0.0.0.0', 6443), 'https://127.0.0.1:6443');
  assert.equal(localServerURL('::', 6443), 'https://127.0.0.1:6443');
  assert.equal(localServerURL('127.0.0.2', 1), 'https://127.0.0.2:1');
  assert.equal(localServerURL('::1', 6443), 'https://[::1]:6443');
  assert.equal(localServerURL('192.0.2.5', 6443), 'https://192.0.2.5:6443');
});

test('firstServiceIPs: the first host address of each range', () => {
  assert.deepEqual(firstServiceIPs('10.96.0.0/12'), ['10.96.0.1']);
  assert.deepEqual(firstServiceIPs('10.100.7.9/16'), ['10.100.0.1']);
  assert.deepEqual(firstServiceIPs('10.96.0.0/12,fd00:10:96::/108'), ['10.96.0.1', 'fd00:10:96::1']);
});

describe('servingHosts', () => {
  const iface = (address: string, internal = false): NetworkInterfaceInfo =>
    ({ address, internal, family: address.includes(':') ? 'IPv6' : 'IPv4', netmask: '', mac: '', cidr: null, scopeid: 0 }) as NetworkInterfaceInfo;
  const interfaces = { lo: [iface('127.0.0.1', true)], eth0: [iface('192.0.2.7'), iface('fe80::1'), iface('2001:db8::7')] };

  test('listening everywhere: hostname, service IP, advertise address and the external interface addresses', () => {
    const flags = { ...parseServerFlags(['--advertise-address', '198.51.100.1'], user) };
    assert.deepEqual(servingHosts(flags, 'node-a', interfaces), ['node-a', '10.96.0.1', '198.51.100.1', '192.0.2.7', '2001:db8::7']);
  });

  test('bound to one address: that address, not the interfaces; odd hostnames are skipped', () => {
    const flags = parseServerFlags(['--bind-address', '192.0.2.7', '--service-cluster-ip-range', '10.100.0.0/16'], user);
    assert.deepEqual(servingHosts(flags, 'bad_host name', interfaces), ['10.100.0.1', '192.0.2.7']);
  });
});

describe('defaultAdvertiseAddress', () => {
  const iface = (address: string, internal = false): NetworkInterfaceInfo =>
    ({ address, internal, family: address.includes(':') ? 'IPv6' : 'IPv4', netmask: '', mac: '', cidr: null, scopeid: 0 }) as NetworkInterfaceInfo;
  const interfaces = { lo: [iface('127.0.0.1', true)], docker0: [iface('172.17.0.1')], eth0: [iface('fe80::1'), iface('192.0.2.2')] };
  const routes = [
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
    'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
    'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
  ].join('\n');

  test('reads the default route interface from the route table', () => {
    assert.equal(defaultRouteInterface(routes), 'eth0');
    assert.equal(defaultRouteInterface(routes.split('\n').slice(0, 2).join('\n')), undefined);
  });

  test('a specific, non-loopback bind address is advertised as is', () => {
    assert.equal(defaultAdvertiseAddress('198.51.100.9', interfaces, 'eth0'), '198.51.100.9');
  });

  test('listening everywhere or on loopback: the default route interface address', () => {
    assert.equal(defaultAdvertiseAddress('0.0.0.0', interfaces, 'eth0'), '192.0.2.2');
    assert.equal(defaultAdvertiseAddress('127.0.0.1', interfaces, 'eth0'), '192.0.2.2');
  });

  test('without a default route: any external IPv4 address, else nothing', () => {
    assert.equal(defaultAdvertiseAddress('0.0.0.0', interfaces, undefined), '172.17.0.1');
    assert.equal(defaultAdvertiseAddress('0.0.0.0', { lo: [iface('127.0.0.1', true)] }, undefined), undefined);
  });
});
