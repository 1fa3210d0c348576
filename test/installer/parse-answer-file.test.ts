import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAnswerFile, type AnswerFile } from '../../installer/parse-answer-file.ts';
import { refusal } from '../_support/refusal.ts';

const SOURCE = 'answers.toml';
const parse = (text: string): AnswerFile => parseAnswerFile(text, { source: SOURCE });

const minimal: AnswerFile = { target: { disk: '/dev/vda', wipe: false }, hostname: null, network: null, ntp: [], admin: null, after: 'reboot' };

const good: { name: string; text: string; want: AnswerFile }[] = [
  { name: 'only a target disk (defaults: no changes, reboot)', text: '[target]\ndisk = "/dev/vda"\n', want: minimal },
  {
    name: 'everything, static network, password inline',
    text: [
      'hostname = "GW-01.Lab.Example"',
      'ntp = ["pool.ntp.org", "192.0.2.123"]',
      'after = "poweroff"',
      '[target]',
      'disk = "auto"',
      'wipe = true',
      '[network]',
      'interface_mac = "52-54-00-AB-CD-EF"',
      'mode = "static"',
      'address = "192.0.2.10/24"',
      'gateway = "192.0.2.1"',
      'dns = ["192.0.2.53", "192.0.2.54"]',
      '[admin]',
      'name = "admin"',
      'password = "correct horse battery"',
    ].join('\n'),
    want: {
      target: { disk: 'auto', wipe: true },
      hostname: 'gw-01.lab.example',
      network: { mac: '52:54:00:ab:cd:ef', mode: 'static', address: '192.0.2.10/24', gateway: '192.0.2.1', dns: ['192.0.2.53', '192.0.2.54'] },
      ntp: ['pool.ntp.org', '192.0.2.123'],
      admin: { name: 'admin', password: 'correct horse battery' },
      after: 'poweroff',
    },
  },
  {
    name: 'DHCP by default, a static address without a gateway, password_file',
    text: '[target]\ndisk = "/dev/nvme0n1"\n[network]\ninterface_mac = "52:54:00:12:34:56"\n[admin]\nname = "ops@example"\npassword_file = "/run/answers/pw"\n',
    want: { ...minimal, target: { disk: '/dev/nvme0n1', wipe: false }, network: { mac: '52:54:00:12:34:56', mode: 'dhcp' }, admin: { name: 'ops@example', passwordFile: '/run/answers/pw' } },
  },
  {
    name: 'JSON of the same shape',
    text: '{"target": {"disk": "/dev/sda", "wipe": true}, "after": "none", "network": {"interface_mac": "52:54:00:12:34:56", "mode": "static", "address": "10.0.0.5/8"}}',
    want: { ...minimal, target: { disk: '/dev/sda', wipe: true }, after: 'none', network: { mac: '52:54:00:12:34:56', mode: 'static', address: '10.0.0.5/8', gateway: '', dns: [] } },
  },
  { name: 'a disk image file as the target', text: '[target]\ndisk = "/srv/images/disk.raw"\n', want: { ...minimal, target: { disk: '/srv/images/disk.raw', wipe: false } } },
];

for (const c of good) {
  test(`parseAnswerFile() reads ${c.name}`, () => {
    assert.equal(parse(c.text), c.want);
  });
}

const T = '[target]\ndisk = "/dev/vda"\n';
const bad: { name: string; text: string; code: string; says: string }[] = [
  { name: 'TOML that does not parse', text: 'hostname = \n', code: 'APL_INSTALL_ANSWERS_INVALID', says: 'the TOML does not parse' },
  { name: 'no [target]', text: 'hostname = "a"\n', code: 'APL_INSTALL_ANSWERS_INVALID', says: '[target] is missing' },
  { name: 'no target.disk', text: '[target]\nwipe = true\n', code: 'APL_INSTALL_ANSWERS_INVALID', says: 'target.disk is missing' },
  { name: 'a relative disk', text: '[target]\ndisk = "sda"\n', code: 'APL_INSTALL_ANSWERS_INVALID', says: 'target.disk is "sda"' },
  { name: 'wipe as a string', text: '[target]\ndisk = "/dev/vda"\nwipe = "yes"\n', code: 'APL_INSTALL_ANSWERS_INVALID', says: 'target.wipe is a string, not true or false' },
  { name: 'an unknown top-level key', text: `hostnme = "a"\n${T}`, code: 'APL_INSTALL_ANSWERS_UNKNOWN_KEY', says: 'unknown key hostnme; allowed here: target, hostname' },
  { name: 'an unknown key in [network]', text: `${T}[network]\ninterface_mac = "52:54:00:12:34:56"\nnetmask = "255.255.255.0"\n`, code: 'APL_INSTALL_ANSWERS_UNKNOWN_KEY', says: 'unknown key network.netmask' },
  { name: 'an unknown key in [admin]', text: `${T}[admin]\nname = "a"\npasswd = "x"\n`, code: 'APL_INSTALL_ANSWERS_UNKNOWN_KEY', says: 'unknown key admin.passwd' },
  { name: 'a bad host name', text: `hostname = "my_host"\n${T}`, code: 'APL_INSTALL_ANSWERS_INVALID', says: 'hostname is not accepted: "my_host": only a-z, 0-9 and - allowed' },
  { name: 'an NTP server with a port', text: `ntp = ["time.example:123"]\n${T}`, code: 'APL_INSTALL_ANSWERS_INVALID', says: 'ntp is not accepted: "time.example:123" is not a host name or IPv4' },
  { name: 'after = "halt"', text: `after = "halt"\n${T}`, code: 'APL_INSTALL_ANSWERS_INVALID', says: 'use one of reboot, poweroff, none' },
  { name: 'a network without a MAC', text: `${T}[network]\nmode = "dhcp"\n`, code: 'APL_INSTALL_ANSWERS_INVALID', says: 'network.interface_mac is missing' },
  { name: 'a bad MAC', text: `${T}[network]\ninterface_mac = "eth0"\n`, code: 'APL_INSTALL_ANSWERS_INVALID', says: 'not a MAC address' },
  { name: 'mode = "auto"', text: `${T}[network]\ninterface_mac = "52:54:00:12:34:56"\nmode = "auto"\n`, code: 'APL_INSTALL_ANSWERS_INVALID', says: 'network.mode is "auto"' },
  { name: 'an address with DHCP', text: `${T}[network]\ninterface_mac = "52:54:00:12:34:56"\naddress = "192.0.2.10/24"\n`, code: 'APL_INSTALL_ANSWERS_INVALID', says: 'network.address is only for mode = "static"' },
  { name: 'static without an address', text: `${T}[network]\ninterface_mac = "52:54:00:12:34:56"\nmode = "static"\n`, code: 'APL_INSTALL_ANSWERS_INVALID', says: 'network.address is missing' },
  { name: 'an address without a prefix', text: `${T}[network]\ninterface_mac = "52:54:00:12:34:56"\nmode = "static"\naddress = "192.0.2.10"\n`, code: 'APL_INSTALL_ANSWERS_INVALID', says: 'network.address is not accepted: add a prefix, e.g. 192.0.2.10/24' },
  { name: 'the network address of the subnet', text: `${T}[network]\ninterface_mac = "52:54:00:12:34:56"\nmode = "static"\naddress = "192.0.2.0/24"\n`, code: 'APL_INSTALL_ANSWERS_INVALID', says: 'network.address is not accepted: 192.0.2.0 is the network address of /24' },
  { name: 'a gateway outside the subnet', text: `${T}[network]\ninterface_mac = "52:54:00:12:34:56"\nmode = "static"\naddress = "192.0.2.10/24"\ngateway = "198.51.100.1"\n`, code: 'APL_INSTALL_ANSWERS_INVALID', says: 'network.gateway is not accepted: gateway 198.51.100.1 is outside 192.0.2.0/24' },
  { name: 'four DNS servers', text: `${T}[network]\ninterface_mac = "52:54:00:12:34:56"\nmode = "static"\naddress = "192.0.2.10/24"\ndns = ["1.1.1.1", "1.0.0.1", "8.8.8.8", "9.9.9.9"]\n`, code: 'APL_INSTALL_ANSWERS_INVALID', says: 'network.dns is not accepted: at most 3 DNS servers' },
  { name: 'a DNS server that is a name', text: `${T}[network]\ninterface_mac = "52:54:00:12:34:56"\nmode = "static"\naddress = "192.0.2.10/24"\ndns = ["dns.example"]\n`, code: 'APL_INSTALL_ANSWERS_INVALID', says: 'network.dns is not accepted: "dns.example" is not an IPv4 address' },
  { name: 'an admin with no password', text: `${T}[admin]\nname = "admin"\n`, code: 'APL_INSTALL_ANSWERS_INVALID', says: 'admin.password is missing' },
  { name: 'both password and password_file', text: `${T}[admin]\nname = "admin"\npassword = "correct horse battery"\npassword_file = "/pw"\n`, code: 'APL_INSTALL_ANSWERS_INVALID', says: 'are both given' },
  { name: 'a short password', text: `${T}[admin]\nname = "admin"\npassword = "short"\n`, code: 'APL_INSTALL_ANSWERS_INVALID', says: 'shorter than 12 characters' },
  { name: 'a relative password_file', text: `${T}[admin]\nname = "admin"\npassword_file = "pw"\n`, code: 'APL_INSTALL_ANSWERS_INVALID', says: 'admin.password_file is not an absolute path' },
  { name: 'an admin name with a space', text: `${T}[admin]\nname = "an admin"\npassword = "correct horse battery"\n`, code: 'APL_INSTALL_ANSWERS_INVALID', says: 'admin.name is "an admin"' },
  // Values the installer once accepted and first boot then refused, leaving the appliance on its defaults:
  { name: 'a /4 prefix', text: `${T}[network]\ninterface_mac = "52:54:00:12:34:56"\nmode = "static"\naddress = "10.0.0.1/4"\n`, code: 'APL_INSTALL_ANSWERS_INVALID', says: 'network.address is not accepted: prefix /4 is not 8 to 32' },
  { name: 'a multicast DNS server', text: `${T}[network]\ninterface_mac = "52:54:00:12:34:56"\nmode = "static"\naddress = "192.0.2.10/24"\ndns = ["224.0.0.1"]\n`, code: 'APL_INSTALL_ANSWERS_INVALID', says: 'network.dns is not accepted: 224.0.0.1 is a multicast address' },
  { name: 'five NTP servers', text: `ntp = ["a.example", "b.example", "c.example", "d.example", "e.example"]\n${T}`, code: 'APL_INSTALL_ANSWERS_INVALID', says: 'ntp is not accepted: at most 4 NTP servers' },
  { name: 'a gateway that is the subnet\'s broadcast address', text: `${T}[network]\ninterface_mac = "52:54:00:12:34:56"\nmode = "static"\naddress = "192.0.2.10/24"\ngateway = "192.0.2.255"\n`, code: 'APL_INSTALL_ANSWERS_INVALID', says: 'network.gateway is not accepted: gateway 192.0.2.255 is not a host of 192.0.2.0/24' },
  { name: 'a password over 1024 characters', text: `${T}[admin]\nname = "admin"\npassword = "${'x'.repeat(1025)}"\n`, code: 'APL_INSTALL_ANSWERS_INVALID', says: 'admin.password is longer than 1024 characters' },
  { name: '[network] as a string', text: `network = "dhcp"\n${T}`, code: 'APL_INSTALL_ANSWERS_INVALID', says: 'network is not a table' },
];

for (const c of bad) {
  test(`parseAnswerFile() refuses ${c.name}`, () => {
    const err = refusal(() => parse(c.text));
    assert.is(err.code, c.code);
    assert.ok(err.message.includes(c.says), err.message);
    assert.ok(err.message.includes(SOURCE), err.message);
  });
}

test.run();
