import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { busUrlOf, formatHostPort, httpsUrlOf, parseHostPort } from '../../../services/agent/host-port.ts';

const good: Record<string, [string, { host: string; port: number }]> = {
  'IPv4': ['10.0.0.5:8443', { host: '10.0.0.5', port: 8443 }],
  'a host name': ['appliance.lab.example:443', { host: 'appliance.lab.example', port: 443 }],
  'IPv6 in brackets': ['[fd00::5]:8443', { host: 'fd00::5', port: 8443 }],
  'link-local IPv6 with a zone': ['[fe80::1%eth0]:8443', { host: 'fe80::1%eth0', port: 8443 }],
  'surrounding space': ['  h:1 ', { host: 'h', port: 1 }],
};
for (const [name, [text, expected]] of Object.entries(good)) test(`parseHostPort() reads ${name}`, () => assert.equal(parseHostPort(text), expected));

const bad: Record<string, string> = {
  'no port': '10.0.0.5',
  'port 0': 'h:0',
  'port 65536': 'h:65536',
  'IPv6 without brackets': 'fd00::5:8443',
  'brackets around IPv4': '[10.0.0.5]:1',
  'a URL': 'https://h:1',
  'a space inside': 'a b:1',
  'an underscore host': 'a_b:1',
  'empty': '',
  'a bad zone': '[fe80::1%eth0;rm]:1',
};
for (const [name, text] of Object.entries(bad)) test(`parseHostPort() refuses ${name}`, () => assert.is(parseHostPort(text), undefined));

test('formatHostPort(), httpsUrlOf() and busUrlOf() bracket IPv6 and escape a zone in URLs', () => {
  assert.is(formatHostPort({ host: 'fd00::5', port: 1 }), '[fd00::5]:1');
  assert.is(formatHostPort({ host: '10.0.0.5', port: 1 }), '10.0.0.5:1');
  assert.is(httpsUrlOf({ host: 'fe80::1%eth0', port: 8443 }), 'https://[fe80::1%25eth0]:8443');
  assert.is(busUrlOf('10.0.0.5', 8444), 'tls+tcp://10.0.0.5:8444');
  assert.is(busUrlOf('fd00::5', 8444), 'tls+tcp://[fd00::5]:8444');
});

test.run();
