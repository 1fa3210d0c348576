import type { NetworkInterfaceInfo } from 'node:os';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { interfaceOfSource, selectInterfaces, type LinkFacts } from '../../../appliance/discovery/network-interfaces.ts';

const v4 = (address: string, cidr: string, internal = false): NetworkInterfaceInfo => ({ address, netmask: '', family: 'IPv4', mac: '00:00:00:00:00:00', internal, cidr });
const v6 = (address: string, cidr: string): NetworkInterfaceInfo => ({ address, netmask: '', family: 'IPv6', mac: '00:00:00:00:00:00', internal: false, cidr, scopeid: 0 });
const all = {
  lo: [v4('127.0.0.1', '127.0.0.1/8', true)],
  eth0: [v4('10.0.0.1', '10.0.0.1/24'), v6('fe80::1', 'fe80::1/64')],
  eth1: [v4('192.168.5.9', '192.168.5.9/16')],
  down0: [v4('10.9.0.1', '10.9.0.1/24')],
  nomc0: [v4('10.8.0.1', '10.8.0.1/24')],
  v6only: [v6('fd00::7', 'fd00::7/64')],
  port0: [v6('fe80::5', 'fe80::5/64')],
};
const link = (name: string): LinkFacts => ({ up: name !== 'down0', multicast: name !== 'nomc0', bridgePort: name === 'port0' });

test('selectInterfaces() takes what is up, multicast-capable, not loopback and not a bridge port', () => {
  assert.equal(selectInterfaces(all, link, []).map((i) => i.name), ['eth0', 'eth1', 'v6only']);
  assert.equal(selectInterfaces(all, link, ['eth1', 'down0', 'nope']).map((i) => i.name), ['eth1']);
  const eth0 = selectInterfaces(all, link, ['eth0'])[0]!;
  assert.equal(eth0.v6, [{ address: 'fe80::1', prefix: 64, linkLocal: true }]);
});

const sources: [string, string | undefined][] = [
  ['10.0.0.77', 'eth0'],
  ['192.168.200.1', 'eth1'],
  ['fe80::99%eth0', 'eth0'],
  ['fe80::99%eth9', undefined],
  ['fd00::1234', 'v6only'],
  ['8.8.8.8', undefined],
  ['2001:db8::1', undefined],
  ['not an address', undefined],
];
const chosen = selectInterfaces(all, link, []);
for (const [source, iface] of sources) {
  test(`interfaceOfSource(${source}) is ${iface ?? 'off-link'}`, () => assert.is(interfaceOfSource(source, chosen)?.name, iface));
}

test.run();
