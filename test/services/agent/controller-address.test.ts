import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DiscoveredNode } from '../../../appliance/discovery/index.ts';
import { chooseController, pickAppliance } from '../../../services/agent/controller-address.ts';

const choices: Record<string, [Parameters<typeof chooseController>[0], ReturnType<typeof chooseController>]> = {
  'agent.controller wins over everything': [
    { config: 'a.lab:1', cmdline: 'b.lab:2', bootstrap: 'c.lab:3' },
    { kind: 'fixed', address: { host: 'a.lab', port: 1 }, source: 'config' },
  ],
  'then the kernel command line': [{ config: '', cmdline: 'b.lab:2', bootstrap: 'c.lab:3' }, { kind: 'fixed', address: { host: 'b.lab', port: 2 }, source: 'cmdline' }],
  'then the address of the last enrolment': [{ config: '', bootstrap: '[fd00::3]:3' }, { kind: 'fixed', address: { host: 'fd00::3', port: 3 }, source: 'bootstrap' }],
  'then mDNS': [{ config: '' }, { kind: 'mdns' }],
  'a broken remembered address falls through to mDNS': [{ config: '', bootstrap: 'garbage' }, { kind: 'mdns' }],
};
for (const [name, [sources, expected]] of Object.entries(choices)) test(`chooseController(): ${name}`, () => assert.equal(chooseController(sources), expected));

test('chooseController() calls a malformed agent.controller a configuration error', () => {
  try {
    chooseController({ config: 'appliance:99999' });
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.is((err as { code: string }).code, 'APL_AGENT_CONTROLLER_INVALID');
    assert.is((err as { exitCode: number }).exitCode, 2);
    assert.match((err as Error).message, /"appliance:99999" from agent.controller/);
  }
});

const ID = (c: string) => c.repeat(52);
function node(instance: string, over: Partial<DiscoveredNode> = {}, txt: Partial<NonNullable<DiscoveredNode['node']>> = {}): DiscoveredNode {
  return {
    instance,
    role: 'appliance',
    via: ['eth0'],
    host: `alliance-${instance}.local`,
    port: 8443,
    addresses: ['10.0.0.9'],
    node: { clusterId: '', nodeId: ID('a'), role: 'appliance', version: '1', apiPort: 8443, busPort: 0, ...txt },
    ...over,
  };
}

const picks: Record<string, [DiscoveredNode[], { host: string; port: number; instance: string } | undefined]> = {
  'nothing visible': [[], undefined],
  'one appliance, its IPv4 address and TXT api port': [[node('rack', { port: 1 }, { apiPort: 9443 })], { host: '10.0.0.9', port: 9443, instance: 'rack' }],
  'hosts are not controllers': [[node('h', { role: 'host' }, { role: 'host' })], undefined],
  'no readable TXT record': [[node('x', { node: null, problem: 'no TXT record yet' })], undefined],
  'no address yet': [[node('x', { addresses: [] })], undefined],
  'the first by instance name, whatever the order seen': [[node('zulu', { addresses: ['10.0.0.26'] }), node('alpha', { addresses: ['10.0.0.1'] })], { host: '10.0.0.1', port: 8443, instance: 'alpha' }],
  'IPv4 before IPv6, and no IPv4 link-local': [[node('x', { addresses: ['fd00::9', '169.254.1.1', '10.0.0.9'] })], { host: '10.0.0.9', port: 8443, instance: 'x' }],
  'global IPv6 before link-local': [[node('x', { addresses: ['fe80::9', 'fd00::9'] })], { host: 'fd00::9', port: 8443, instance: 'x' }],
  'link-local IPv6 only: with the interface it was seen on': [[node('x', { addresses: ['fe80::9'], via: ['br0'] })], { host: 'fe80::9%br0', port: 8443, instance: 'x' }],
};
for (const [name, [nodes, expected]] of Object.entries(picks)) {
  test(`pickAppliance(): ${name}`, () => {
    const got = pickAppliance(nodes);
    assert.equal(got === undefined ? undefined : { ...got.address, instance: got.instance }, expected);
  });
}

test.run();
