import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { instancesInCache } from '../../../appliance/discovery/instances.ts';
import { MAX_ENTRIES, RecordCache } from '../../../appliance/discovery/record-cache.ts';
import { allRecords, fromWire, MAX_TTL_S, type MdnsRecord } from '../../../appliance/discovery/records.ts';

const a = (data: string, ttl = 120, flush = true): MdnsRecord => ({ name: 'h.local', type: 'A', ttl, flush, data });

test('RecordCache expires a record after its TTL, not before', () => {
  const c = new RecordCache();
  c.add([a('10.0.0.1', 10)], 'eth0', '10.0.0.1', 0);
  assert.equal(c.expire(9_999), []);
  assert.is(c.expire(10_000).length, 1);
  assert.is(c.size, 0);
});

test('RecordCache keeps a goodbye (TTL 0) for one second (§10.1), and a goodbye for an unknown record adds nothing', () => {
  const c = new RecordCache();
  c.add([a('10.0.0.1')], 'eth0', 'x', 0);
  c.add([a('10.0.0.1', 0)], 'eth0', 'x', 5_000);
  assert.is(c.expire(5_999).length, 0);
  assert.is(c.expire(6_000).length, 1);
  c.add([a('10.0.0.9', 0)], 'eth0', 'x', 7_000);
  assert.is(c.size, 0);
});

test('RecordCache: a cache-flush record replaces older data of its name and type, but not data from the same second (§10.2)', () => {
  const c = new RecordCache();
  c.add([a('10.0.0.1')], 'eth0', 'x', 0);
  c.add([a('10.0.0.2')], 'eth0', 'x', 500);
  assert.is(c.find('h.local', 'A').length, 2, 'within one second both stay');
  c.add([a('10.0.0.3')], 'eth0', 'x', 5_000);
  assert.equal(c.find('h.local', 'A').map((e) => e.record.data), ['10.0.0.3']);
  c.add([a('10.0.0.4', 120, false)], 'eth0', 'x', 9_000);
  assert.is(c.find('h.local', 'A').length, 2, 'a shared record flushes nothing');
});

test('RecordCache keeps interfaces apart and forgets one that went away', () => {
  const c = new RecordCache();
  c.add([a('10.0.0.1')], 'eth0', 'x', 0);
  c.add([a('10.0.0.1')], 'eth1', 'y', 0);
  assert.is(c.size, 2);
  c.dropInterface('eth0');
  assert.equal(c.find().map((e) => e.iface), ['eth1']);
});

test('RecordCache.knownAnswers() lists only records with more than half their TTL left, with the TTL remaining', () => {
  const c = new RecordCache();
  c.add([a('10.0.0.1', 100)], 'eth0', 'x', 0);
  assert.equal(c.knownAnswers('H.LOCAL', 'A', 'eth0', 40_000).map((r) => r.ttl), [60]);
  assert.equal(c.knownAnswers('h.local', 'A', 'eth0', 50_000), []);
  assert.equal(c.knownAnswers('h.local', 'A', 'eth1', 0), []);
});

const ad = (instance: string, nodeId: string) => ({ instance, node: { clusterId: '', nodeId, role: 'appliance' as const, version: '1.0.0', apiPort: 8443, busPort: 0 } });

test('instancesInCache() assembles PTR, SRV, TXT and addresses per instance, merging interfaces', () => {
  const c = new RecordCache();
  c.add(allRecords(ad('one', 'c'.repeat(52)), { v4: ['10.0.0.1'], v6: [] }, 120), 'eth0', '10.0.0.1', 0);
  c.add(allRecords(ad('one', 'c'.repeat(52)), { v4: ['10.1.0.1'], v6: ['fe80::1'] }, 120), 'eth1', '10.1.0.1', 0);
  c.add(allRecords(ad('two', 'd'.repeat(52)), { v4: ['10.0.0.2'], v6: [] }, 120), 'eth0', '10.0.0.2', 0);
  const nodes = instancesInCache(c, 'appliance');
  assert.equal(nodes.map((n) => [n.instance, n.via, n.addresses, n.node?.nodeId[0]]), [
    ['one', ['eth0', 'eth1'], ['10.0.0.1', '10.1.0.1', 'fe80::1'], 'c'],
    ['two', ['eth0'], ['10.0.0.2'], 'd'],
  ]);
  assert.equal(instancesInCache(c, 'host'), []);
});

test('instancesInCache() shows an instance with a bad TXT with its problem, and waits for the SRV before showing one', () => {
  const c = new RecordCache();
  const records = allRecords(ad('odd', 'e'.repeat(52)), { v4: ['10.0.0.3'], v6: [] }, 120);
  c.add(records.filter((r) => r.type === 'PTR'), 'eth0', 'x', 0);
  assert.equal(instancesInCache(c, 'appliance'), [], 'a PTR alone is not resolvable');
  const badTxt = { ...records.find((r) => r.type === 'TXT')!, data: [Buffer.from('txtvers=9')] } as MdnsRecord;
  c.add([...records.filter((r) => r.type === 'SRV'), badTxt], 'eth0', 'x', 0);
  const [node] = instancesInCache(c, 'appliance');
  assert.is(node?.node, null);
  assert.match(node?.problem ?? '', /txtvers "9"/);
});

test('RecordCache holds at most MAX_ENTRIES records; a flood evicts those nearest expiry, not the newest', () => {
  const c = new RecordCache();
  c.add([a('10.9.9.9', 10)], 'eth0', 'x', 0);
  const flood = Array.from({ length: MAX_ENTRIES }, (_, i) => a(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 120, false));
  c.add(flood, 'eth0', 'x', 1);
  assert.is(c.size, MAX_ENTRIES);
  assert.equal(c.find('h.local', 'A').filter((e) => e.record.data === '10.9.9.9'), [], 'the short-lived record made room');
  assert.ok(c.find('h.local', 'A').some((e) => e.record.data === `10.0.${((MAX_ENTRIES - 1) >> 8) & 255}.${(MAX_ENTRIES - 1) & 255}`), 'the newest is kept');
});

const wire = (name: string, extra: object = {}) => ({ name, type: 'PTR', class: 'IN', ttl: 120, data: 'x._alliance._tcp.local', ...extra });
const fromWireCases: [string, unknown, number | undefined][] = [
  ['a plain PTR', wire('_alliance._tcp.local'), 120],
  ['a TTL of 2^32-1 is kept as a day', wire('_alliance._tcp.local', { ttl: 2 ** 32 - 1 }), MAX_TTL_S],
  ['a name that was not UTF-8 (U+FFFD after decoding) is dropped', wire('bad\uFFFD._alliance._tcp.local'), undefined],
  ['a label over 63 bytes once encoded is dropped', wire(`${'é'.repeat(32)}._alliance._tcp.local`), undefined],
  ['a PTR pointing at a name that cannot be encoded is dropped', wire('_alliance._tcp.local', { data: `${'x'.repeat(64)}.local` }), undefined],
  ['an SRV whose target is empty-labelled is dropped', { name: 'a._alliance._tcp.local', type: 'SRV', ttl: 120, data: { port: 1, target: 'a..local' } }, undefined],
];
for (const [what, record, ttl] of fromWireCases) {
  test(`fromWire(): ${what}`, () => {
    assert.equal(fromWire([record]).map((r) => r.ttl), ttl === undefined ? [] : [ttl]);
  });
}

test.run();
