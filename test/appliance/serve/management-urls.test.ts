import type { NetworkInterfaceInfo } from 'node:os';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { managementUrls } from '../../../appliance/serve/index.ts';

type Interfaces = Record<string, NetworkInterfaceInfo[] | undefined>;

const v4 = (address: string, internal = false): NetworkInterfaceInfo => ({
  address,
  netmask: '255.255.255.0',
  family: 'IPv4',
  mac: '02:00:00:00:00:01',
  internal,
  cidr: `${address}/24`,
});

const v6 = (address: string, internal = false): NetworkInterfaceInfo => ({
  address,
  netmask: 'ffff:ffff:ffff:ffff::',
  family: 'IPv6',
  mac: '02:00:00:00:00:01',
  internal,
  cidr: `${address}/64`,
  scopeid: 0,
});

/** A typical host: loopback, one LAN interface with IPv4, link-local and global IPv6. */
const host: Interfaces = {
  lo: [v4('127.0.0.1', true), v6('::1', true)],
  eth0: [v4('192.168.1.10'), v6('fe80::a00:27ff:fe4e:66a1'), v6('2001:db8::10')],
};

const cases: Record<string, { listen: string; port?: number; interfaces: Interfaces; expected: string[] }> = {
  'lists only non-internal IPv4 addresses for 0.0.0.0': {
    listen: '0.0.0.0',
    interfaces: host,
    expected: ['https://192.168.1.10:8443/'],
  },
  'adds global IPv6 addresses in brackets for ::, but not link-local ones': {
    listen: '::',
    interfaces: host,
    expected: ['https://192.168.1.10:8443/', 'https://[2001:db8::10]:8443/'],
  },
  'lists the addresses of every interface': {
    listen: '0.0.0.0',
    interfaces: { ...host, wlan0: [v4('10.0.0.7')], docker0: [v4('172.17.0.1')] },
    expected: ['https://192.168.1.10:8443/', 'https://10.0.0.7:8443/', 'https://172.17.0.1:8443/'],
  },
  'uses a specific IPv4 listen address as it is': {
    listen: '192.168.1.10',
    interfaces: { ...host, wlan0: [v4('10.0.0.7')] },
    expected: ['https://192.168.1.10:8443/'],
  },
  'uses a specific IPv6 listen address in brackets': {
    listen: '2001:db8::10',
    interfaces: host,
    expected: ['https://[2001:db8::10]:8443/'],
  },
  'uses a host name listen address as it is': {
    listen: 'gw-01.example.net',
    interfaces: host,
    expected: ['https://gw-01.example.net:8443/'],
  },
  'uses a loopback listen address even though it is internal': {
    listen: '127.0.0.1',
    interfaces: host,
    expected: ['https://127.0.0.1:8443/'],
  },
  'puts the configured port in every URL': {
    listen: '::',
    port: 9443,
    interfaces: host,
    expected: ['https://192.168.1.10:9443/', 'https://[2001:db8::10]:9443/'],
  },
  'falls back to localhost without interfaces': {
    listen: '0.0.0.0',
    interfaces: {},
    expected: ['https://localhost:8443/'],
  },
  'falls back to localhost with only loopback': {
    listen: '::',
    interfaces: { lo: host.lo },
    expected: ['https://localhost:8443/'],
  },
  'falls back to localhost when IPv6 is link-local only': {
    listen: '::',
    interfaces: { lo: host.lo, eth0: [v6('fe80::1')] },
    expected: ['https://localhost:8443/'],
  },
  'skips interfaces reported without addresses': {
    listen: '0.0.0.0',
    interfaces: { down0: undefined, eth0: [v4('192.168.1.10')] },
    expected: ['https://192.168.1.10:8443/'],
  },
  'lists an address shared by two interfaces once': {
    listen: '::',
    interfaces: { eth0: [v4('10.1.1.1'), v6('2001:db8::1')], br0: [v4('10.1.1.1'), v6('2001:db8::1')], eth1: [v4('10.2.2.2')] },
    expected: ['https://10.1.1.1:8443/', 'https://[2001:db8::1]:8443/', 'https://10.2.2.2:8443/'],
  },
};

for (const [behaviour, { listen, port, interfaces, expected }] of Object.entries(cases)) {
  test(`managementUrls() ${behaviour}`, () => {
    assert.equal(managementUrls(listen, port ?? 8443, interfaces), expected);
  });
}

test.run();
