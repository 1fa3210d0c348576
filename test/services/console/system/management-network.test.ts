import { type ManagementNetwork, type NetworkForm, validateNetwork } from '../../../../appliance/contracts/index.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isAllianceError } from '../../../../appliance/errors/index.ts';
import { networkdFileName, renderNetworkdFile } from '../../../../services/console/system/management-network.ts';

const interfaces = ['eth0', 'eno1'];
const form: NetworkForm = { interface: 'eth0', mode: 'static', address: '192.0.2.10/24', gateway: '192.0.2.1', dns: '192.0.2.53' };

const good: { name: string; form: Partial<NetworkForm>; value: ManagementNetwork }[] = [
  { name: 'static with gateway and DNS', form: {}, value: { interface: 'eth0', mode: 'static', address: '192.0.2.10', prefix: 24, gateway: '192.0.2.1', dns: ['192.0.2.53'] } },
  {
    name: 'fields trimmed, mode in any case, DNS by commas and spaces, repeats once',
    form: { interface: ' eno1 ', mode: ' Static ', address: ' 10.1.2.3/16 ', gateway: ' 10.1.0.1 ', dns: '1.1.1.1, 9.9.9.9 ,1.1.1.1' },
    value: { interface: 'eno1', mode: 'static', address: '10.1.2.3', prefix: 16, gateway: '10.1.0.1', dns: ['1.1.1.1', '9.9.9.9'] },
  },
  { name: 'no gateway, no DNS', form: { gateway: '', dns: '  ' }, value: { interface: 'eth0', mode: 'static', address: '192.0.2.10', prefix: 24, gateway: null, dns: [] } },
  { name: 'a /31 uses both addresses', form: { address: '198.51.100.0/31', gateway: '198.51.100.1' }, value: { interface: 'eth0', mode: 'static', address: '198.51.100.0', prefix: 31, gateway: '198.51.100.1', dns: ['192.0.2.53'] } },
  { name: 'a /32 without gateway', form: { address: '203.0.113.7/32', gateway: '' }, value: { interface: 'eth0', mode: 'static', address: '203.0.113.7', prefix: 32, gateway: null, dns: ['192.0.2.53'] } },
  { name: 'a /8', form: { address: '10.0.0.5/8', gateway: '10.255.255.254' }, value: { interface: 'eth0', mode: 'static', address: '10.0.0.5', prefix: 8, gateway: '10.255.255.254', dns: ['192.0.2.53'] } },
  { name: 'a local resolver on loopback', form: { dns: '127.0.0.53' }, value: { interface: 'eth0', mode: 'static', address: '192.0.2.10', prefix: 24, gateway: '192.0.2.1', dns: ['127.0.0.53'] } },
  { name: 'dhcp ignores the other fields', form: { mode: 'DHCP', address: 'garbage', gateway: 'x', dns: 'y' }, value: { interface: 'eth0', mode: 'dhcp' } },
];

for (const c of good) {
  test(`validateNetwork() accepts ${c.name}`, () => {
    assert.equal(validateNetwork({ ...form, ...c.form }, { interfaces }), { ok: true, value: c.value });
  });
}

const bad: { name: string; form: Partial<NetworkForm>; problems: Partial<Record<keyof NetworkForm, string>> }[] = [
  { name: 'no interface', form: { interface: ' ' }, problems: { interface: 'choose an interface' } },
  { name: 'an interface not on the machine', form: { interface: 'wlan0' }, problems: { interface: 'no interface "wlan0" here' } },
  { name: 'an unknown mode', form: { mode: 'auto' }, problems: { mode: 'type dhcp or static' } },
  { name: 'an unknown mode and interface together', form: { mode: '', interface: 'x' }, problems: { interface: 'no interface "x" here', mode: 'type dhcp or static' } },
  { name: 'no address', form: { address: '', gateway: '' }, problems: { address: 'an address is needed, e.g. 192.0.2.10/24' } },
  { name: 'an address without prefix', form: { address: '192.0.2.10' }, problems: { address: 'add a prefix, e.g. 192.0.2.10/24' } },
  { name: 'an address that is not IPv4', form: { address: '192.0.2.300/24' }, problems: { address: '"192.0.2.300" is not an IPv4 address' } },
  { name: 'leading zeros', form: { address: '192.0.2.010/24' }, problems: { address: '"192.0.2.010" is not an IPv4 address' } },
  { name: 'a long typed value, cut short', form: { address: 'abcdefghijklmnopqrstuvwxyz/24' }, problems: { address: '"abcdefghijklmnopqrs…" is not an IPv4 address' } },
  { name: 'a prefix below 8', form: { address: '10.0.0.1/7' }, problems: { address: 'prefix /7 is not 8 to 32' } },
  { name: 'a prefix above 32', form: { address: '10.0.0.1/33' }, problems: { address: 'prefix /33 is not 8 to 32' } },
  { name: 'a prefix that is not a number', form: { address: '10.0.0.1/x' }, problems: { address: 'prefix /x is not 8 to 32' } },
  { name: 'an empty prefix', form: { address: '10.0.0.1/' }, problems: { address: 'prefix / is not 8 to 32' } },
  { name: '0.0.0.0', form: { address: '0.0.0.0/8', gateway: '' }, problems: { address: '0.0.0.0 is not a host address' } },
  { name: 'loopback', form: { address: '127.0.0.2/8', gateway: '' }, problems: { address: '127.0.0.2 is a loopback address' } },
  { name: 'multicast', form: { address: '224.0.0.5/24', gateway: '' }, problems: { address: '224.0.0.5 is a multicast address' } },
  { name: 'reserved 240/4', form: { address: '240.0.0.5/24', gateway: '' }, problems: { address: '240.0.0.5 is a reserved address' } },
  { name: 'the network address', form: { address: '192.0.2.0/24' }, problems: { address: '192.0.2.0 is the network address of /24' } },
  { name: 'the broadcast address', form: { address: '192.0.2.255/24' }, problems: { address: '192.0.2.255 is the broadcast address of /24' } },
  { name: 'a gateway outside the subnet', form: { gateway: '10.0.1.1' }, problems: { gateway: 'gateway 10.0.1.1 is outside 192.0.2.0/24' } },
  { name: 'a gateway outside a /32', form: { address: '203.0.113.7/32', gateway: '203.0.113.1' }, problems: { gateway: 'gateway 203.0.113.1 is outside 203.0.113.7/32' } },
  { name: 'the address as gateway', form: { gateway: '192.0.2.10' }, problems: { gateway: 'the gateway cannot be the address itself' } },
  { name: 'the broadcast address as gateway', form: { gateway: '192.0.2.255' }, problems: { gateway: 'gateway 192.0.2.255 is not a host of 192.0.2.0/24' } },
  { name: 'a gateway that is not IPv4', form: { gateway: 'router' }, problems: { gateway: '"router" is not an IPv4 address' } },
  { name: 'a multicast gateway', form: { gateway: '239.1.1.1' }, problems: { gateway: '239.1.1.1 is a multicast address' } },
  { name: 'a bad gateway beside a bad address', form: { address: 'x/24', gateway: 'y' }, problems: { address: '"x" is not an IPv4 address', gateway: '"y" is not an IPv4 address' } },
  { name: 'four DNS servers', form: { dns: '1.1.1.1 1.0.0.1 8.8.8.8 9.9.9.9' }, problems: { dns: 'at most 3 DNS servers' } },
  { name: 'a DNS name for a server', form: { dns: '1.1.1.1, dns.example' }, problems: { dns: '"dns.example" is not an IPv4 address' } },
  { name: 'a 0.0.0.0 DNS server', form: { dns: '0.0.0.0' }, problems: { dns: '0.0.0.0 is not a host address' } },
  { name: 'every field wrong at once', form: { interface: 'lo9', address: '1.2.3.4', gateway: '5.6.7', dns: 'a b c d' }, problems: { interface: 'no interface "lo9" here', address: 'add a prefix, e.g. 1.2.3.4/24', gateway: '"5.6.7" is not an IPv4 address', dns: 'at most 3 DNS servers' } },
];

for (const c of bad) {
  test(`validateNetwork() refuses ${c.name}`, () => {
    assert.equal(validateNetwork({ ...form, ...c.form }, { interfaces }), { ok: false, problems: c.problems });
  });
}

test('validateNetwork() problems fit beside a field on an 80-column screen', () => {
  const worst = { interface: 'x'.repeat(200), mode: 'static', address: `${'9'.repeat(200)}/24`, gateway: 'g'.repeat(200), dns: 'd'.repeat(200) };
  const checked = validateNetwork(worst, { interfaces });
  assert.is(checked.ok, false);
  for (const c of bad) {
    const result = validateNetwork({ ...form, ...c.form }, { interfaces });
    if (result.ok) continue;
    for (const problem of Object.values(result.problems)) assert.ok(problem.length < 60, problem);
  }
  if (!checked.ok) for (const problem of Object.values(checked.problems)) assert.ok(problem.length < 60, problem);
});

test('networkdFileName() sorts before the distribution files', () => {
  assert.is(networkdFileName(), '10-alliance-management.network');
});

const HEADER = '# Written by the Alliance console (system settings: management network); edits are overwritten.\n';

test('renderNetworkdFile() writes DHCP', () => {
  assert.is(renderNetworkdFile({ interface: 'eno1', mode: 'dhcp' }), `${HEADER}[Match]\nName=eno1\n\n[Network]\nDHCP=ipv4\n`);
});

test('renderNetworkdFile() writes a static address with gateway and DNS servers', () => {
  const network: ManagementNetwork = { interface: 'eth0', mode: 'static', address: '192.0.2.10', prefix: 24, gateway: '192.0.2.1', dns: ['192.0.2.53', '1.1.1.1'] };
  assert.is(
    renderNetworkdFile(network),
    `${HEADER}[Match]
Name=eth0

[Network]
Address=192.0.2.10/24
Gateway=192.0.2.1
DNS=192.0.2.53
DNS=1.1.1.1
`,
  );
});

test('renderNetworkdFile() writes a static address alone', () => {
  assert.is(renderNetworkdFile({ interface: 'eth0', mode: 'static', address: '203.0.113.7', prefix: 32, gateway: null, dns: [] }), `${HEADER}[Match]\nName=eth0\n\n[Network]\nAddress=203.0.113.7/32\n`);
});

test('renderNetworkdFile() refuses values that would break the file', () => {
  const cases: ManagementNetwork[] = [
    { interface: 'eth0\nDHCP=yes', mode: 'dhcp' },
    { interface: 'eth0', mode: 'static', address: '192.0.2.10\n[Route]', prefix: 24, gateway: null, dns: [] },
    { interface: 'eth0', mode: 'static', address: '192.0.2.10', prefix: 33, gateway: null, dns: [] },
    { interface: 'eth0', mode: 'static', address: '192.0.2.10', prefix: 24, gateway: 'x', dns: [] },
    { interface: 'eth0', mode: 'static', address: '192.0.2.10', prefix: 24, gateway: null, dns: ['1.1.1.1 2.2.2.2'] },
  ];
  for (const network of cases) {
    try {
      renderNetworkdFile(network);
      assert.unreachable(JSON.stringify(network));
    } catch (err) {
      assert.ok(isAllianceError(err, 'APL_CONSOLE_SYSTEM_SETTINGS_INVALID'), String(err));
    }
  }
});

test.run();
