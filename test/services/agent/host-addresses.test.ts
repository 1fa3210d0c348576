import type { NetworkInterfaceInfo } from 'node:os';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hostAddresses } from '../../../services/agent/host-addresses.ts';

const a = (address: string, family: 'IPv4' | 'IPv6', internal = false): NetworkInterfaceInfo =>
  ({ address, family, internal, netmask: '', mac: '00:00:00:00:00:00', cidr: null, ...(family === 'IPv6' ? { scopeid: 0 } : {}) }) as NetworkInterfaceInfo;

test('hostAddresses() lists IPv4, then IPv6, without loopback, link-local with its zone', () => {
  const got = hostAddresses({
    lo: [a('127.0.0.1', 'IPv4', true), a('::1', 'IPv6', true)],
    eth1: [a('fd00::2', 'IPv6'), a('10.0.0.2', 'IPv4')],
    eth0: [a('192.0.2.2', 'IPv4'), a('fe80::1', 'IPv6')],
  });
  assert.equal(got, ['192.0.2.2', '10.0.0.2', 'fe80::1%eth0', 'fd00::2']);
});

test('hostAddresses() keeps each address once and at most 64', () => {
  const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`e${i}`, [a(`10.0.${i}.1`, 'IPv4'), a(`10.0.${i}.2`, 'IPv4'), a('10.9.9.9', 'IPv4')]]));
  const got = hostAddresses(many);
  assert.is(got.length, 64);
  assert.is(new Set(got).size, 64);
});

test.run();
