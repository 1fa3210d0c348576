import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isAllianceError } from '../../../appliance/errors/index.ts';
import { parseLeaseHookCall, type HookEnvironment, type LeaseHookEvent } from '../../../services/boot/lease-hook.ts';

const pxeEnv: HookEnvironment = {
  PATH: '/usr/bin:/bin',
  DNSMASQ_INTERFACE: 'prov0',
  DNSMASQ_TAGS: 'known pxe bios prov0',
  DNSMASQ_VENDOR_CLASS: 'PXEClient:Arch:00000:UNDI:002001',
  DNSMASQ_LEASE_EXPIRES: '1795000000',
  DNSMASQ_LEASE_LENGTH: '3600',
  DNSMASQ_CLIENT_ID: '01:52:54:00:00:00:01',
};

const calls: Record<string, { argv: string[]; env: HookEnvironment; expected: LeaseHookEvent }> = {
  'a firmware PXE lease with its classes': {
    argv: ['add', '52:54:00:00:00:01', '10.20.0.101'],
    env: pxeEnv,
    expected: {
      action: 'add',
      mac: '52:54:00:00:00:01',
      ip: '10.20.0.101',
      hostname: null,
      clientId: '01:52:54:00:00:00:01',
      interface: 'prov0',
      expiresAt: 1795000000,
      timeRemaining: null,
      tags: ['known', 'pxe', 'bios', 'prov0'],
      vendorClass: 'PXEClient:Arch:00000:UNDI:002001',
      userClasses: [],
    },
  },
  'an iPXE renewal with a host name, user classes and an upper-case MAC': {
    argv: ['old', '52:54:00:AB:CD:EF', '10.20.0.102', 'node-2'],
    env: { DNSMASQ_TAGS: 'ipxe pxe', DNSMASQ_USER_CLASS0: 'iPXE', DNSMASQ_USER_CLASS1: 'extra', DNSMASQ_TIME_REMAINING: '3599' },
    expected: {
      action: 'old',
      mac: '52:54:00:ab:cd:ef',
      ip: '10.20.0.102',
      hostname: 'node-2',
      clientId: null,
      interface: null,
      expiresAt: null,
      timeRemaining: 3599,
      tags: ['ipxe', 'pxe'],
      vendorClass: null,
      userClasses: ['iPXE', 'extra'],
    },
  },
  'a release with an empty host name and no environment': {
    argv: ['del', '52:54:00:00:00:03', '10.20.0.103', ''],
    env: {},
    expected: { action: 'del', mac: '52:54:00:00:00:03', ip: '10.20.0.103', hostname: null, clientId: null, interface: null, expiresAt: null, timeRemaining: null, tags: [], vendorClass: null, userClasses: [] },
  },
  'a completed TFTP transfer': {
    argv: ['tftp', '73728', '10.20.0.101', '/usr/lib/ipxe/undionly.kpxe'],
    env: {},
    expected: { action: 'tftp', size: 73728, address: '10.20.0.101', file: '/usr/lib/ipxe/undionly.kpxe' },
  },
  'a lease whose client sent odd classes and a name with _ and a domain, kept with the classes made printable': {
    argv: ['add', '52:54:00:00:00:04', '10.20.0.104', 'my_host.example'],
    env: { DNSMASQ_VENDOR_CLASS: 'PXE\u0000Client\u00e9\n', DNSMASQ_USER_CLASS0: 'x'.repeat(300) },
    expected: {
      action: 'add',
      mac: '52:54:00:00:00:04',
      ip: '10.20.0.104',
      hostname: 'my_host.example',
      clientId: null,
      interface: null,
      expiresAt: null,
      timeRemaining: null,
      tags: [],
      vendorClass: 'PXE?Client??',
      userClasses: ['x'.repeat(255)],
    },
  },
  'the init call at dnsmasq start': { argv: ['init'], env: pxeEnv, expected: { action: 'init' } },
};

for (const [name, { argv, env, expected }] of Object.entries(calls)) {
  test(`parseLeaseHookCall() reads ${name}`, () => {
    assert.equal(parseLeaseHookCall(argv, env), expected);
  });
}

const hostile: Record<string, { argv: unknown[]; env?: unknown }> = {
  'no arguments': { argv: [] },
  'an unknown action': { argv: ['arp-add', '52:54:00:00:00:01', '10.20.0.101'] },
  'an action in upper case': { argv: ['ADD', '52:54:00:00:00:01', '10.20.0.101'] },
  'add without an address': { argv: ['add', '52:54:00:00:00:01'] },
  'add with too many arguments': { argv: ['add', '52:54:00:00:00:01', '10.20.0.101', 'node-1', 'extra'] },
  'six arguments': { argv: ['add', 'a', 'b', 'c', 'd', 'e'] },
  'a MAC with an InfiniBand type prefix': { argv: ['add', '32-52:54:00:00:00:01', '10.20.0.101'] },
  'a MAC with a shell command': { argv: ['add', '$(reboot)', '10.20.0.101'] },
  'an IPv6 address': { argv: ['add', '52:54:00:00:00:01', 'fe80::1'] },
  'an address out of range': { argv: ['add', '52:54:00:00:00:01', '10.20.0.256'] },
  'a NUL byte in the host name': { argv: ['add', '52:54:00:00:00:01', '10.20.0.101', 'node\u00001'] },
  'a newline in the address': { argv: ['add', '52:54:00:00:00:01', '10.20.0.101\n10.20.0.102'] },
  'a host name of 254 characters': { argv: ['add', '52:54:00:00:00:01', '10.20.0.101', 'a'.repeat(254)] },
  'a host name with a space': { argv: ['add', '52:54:00:00:00:01', '10.20.0.101', 'node 1'] },
  'a huge argument': { argv: ['add', '52:54:00:00:00:01', '10.20.0.101', 'a'.repeat(1_000_000)] },
  'an argument that is not a string': { argv: ['add', 42, '10.20.0.101'] },
  'arguments that are not a list': { argv: 'add' as unknown as unknown[] },
  'an environment that is not an object': { argv: ['init'], env: null },
  'init with arguments': { argv: ['init', 'x'] },
  'tftp with a negative size': { argv: ['tftp', '-1', '10.20.0.101', '/f'] },
  'tftp without a file name': { argv: ['tftp', '10', '10.20.0.101'] },
  'tftp with an empty file name': { argv: ['tftp', '10', '10.20.0.101', ''] },
  'a lease expiry that is not a number': { argv: ['add', '52:54:00:00:00:01', '10.20.0.101'], env: { DNSMASQ_LEASE_EXPIRES: '1e9' } },
  'a time remaining that is huge': { argv: ['add', '52:54:00:00:00:01', '10.20.0.101'], env: { DNSMASQ_TIME_REMAINING: '9'.repeat(40) } },
  'a client id that is not hex': { argv: ['add', '52:54:00:00:00:01', '10.20.0.101'], env: { DNSMASQ_CLIENT_ID: 'zz:01' } },
  'an interface name with a slash': { argv: ['add', '52:54:00:00:00:01', '10.20.0.101'], env: { DNSMASQ_INTERFACE: '../eth0' } },
  'tags longer than 1024 characters': { argv: ['add', '52:54:00:00:00:01', '10.20.0.101'], env: { DNSMASQ_TAGS: 'x '.repeat(600) } },
};

for (const [name, call] of Object.entries(hostile)) {
  test(`parseLeaseHookCall() refuses ${name} with APL_BOOT_HOOK_CALL_INVALID`, () => {
    try {
      parseLeaseHookCall(call.argv, ('env' in call ? call.env : {}) as HookEnvironment);
      assert.unreachable('parsed');
    } catch (err) {
      assert.ok(isAllianceError(err, 'APL_BOOT_HOOK_CALL_INVALID'), String(err));
      assert.ok(err.message.length < 400, 'the message repeats a huge value');
      assert.not.match(err.message, /[\u0000\n]/);
    }
  });
}

test.run();
