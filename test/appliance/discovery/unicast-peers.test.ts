import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lookupSrvPeers, parsePeers, peersAsNodes } from '../../../appliance/discovery/index.ts';

const good: [string, { host: string; port: number }[]][] = [
  ['', []],
  ['10.0.0.5:8443', [{ host: '10.0.0.5', port: 8443 }]],
  ['[fd00::5]:8443, appliance-2.example:9443', [{ host: 'fd00::5', port: 8443 }, { host: 'appliance-2.example', port: 9443 }]],
];
for (const [text, peers] of good) test(`parsePeers(${JSON.stringify(text)})`, () => assert.equal(parsePeers(text), peers));

const bad: [string, RegExp][] = [
  ['10.0.0.5', /"10.0.0.5" is not host:port/],
  ['fd00::5:8443', /write IPv6 addresses as \[addr\]:port/],
  ['[not-v6]:8443', /not host:port/],
  ['a:0', /not host:port/],
  ['a:65536', /not host:port/],
  ['a:1,,b:2', /"" is not host:port/],
];
for (const [text, message] of bad) test(`parsePeers(${JSON.stringify(text)}) names the bad entry`, () => assert.throws(() => parsePeers(text), message));

test('lookupSrvPeers() asks for _alliance._tcp.<domain> and orders by priority, then weight', async () => {
  let asked = '';
  const peers = await lookupSrvPeers('lab.example', async (name) => {
    asked = name;
    return [
      { name: 'b.lab.example.', port: 2, priority: 20, weight: 0 },
      { name: 'a.lab.example', port: 1, priority: 10, weight: 5 },
      { name: 'c.lab.example', port: 3, priority: 10, weight: 50 },
    ];
  });
  assert.is(asked, '_alliance._tcp.lab.example');
  assert.equal(peers.map((p) => `${p.host}:${p.port}`), ['c.lab.example:3', 'a.lab.example:1', 'b.lab.example:2']);
});

test('lookupSrvPeers(): no such record is no peers; a failing resolver is an error that says which name', async () => {
  const notFound = Object.assign(new Error('queryNotFound'), { code: 'ENOTFOUND' });
  assert.equal(await lookupSrvPeers('x', () => Promise.reject(notFound)), []);
  const timeout = Object.assign(new Error('queryTimeout'), { code: 'ETIMEOUT' });
  await lookupSrvPeers('x', () => Promise.reject(timeout)).then(
    () => assert.unreachable('should fail'),
    (err: Error) => assert.match(err.message, /cannot look up SRV _alliance\._tcp\.x: queryTimeout/),
  );
});

test('peersAsNodes() claims nothing about who is there', () => {
  const [n] = peersAsNodes([{ host: 'fd00::5', port: 8443 }], 'config');
  assert.equal([n?.instance, n?.node, n?.via], ['[fd00::5]:8443', null, ['config']]);
  assert.match(n?.problem ?? '', /identity unknown/);
});

test.run();
