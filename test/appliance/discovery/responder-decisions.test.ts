import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { allRecords, instanceLabel, instanceFqdn, SERVICE_TYPES, withdrawnRecords, type Advertisement, type MdnsRecord } from '../../../appliance/discovery/records.ts';
import { conflicts, nextInstanceName, probeTieBreak, replyTo } from '../../../appliance/discovery/responder-decisions.ts';

const ad: Advertisement = { instance: 'rack 1', node: { clusterId: '', nodeId: 'b'.repeat(52), role: 'appliance', version: '0.1.0', apiPort: 8443, busPort: 0 } };
const own = allRecords(ad, { v4: ['10.0.0.1'], v6: ['fe80::1'] }, 120);
const fqdn = instanceFqdn('rack 1', 'appliance');
const byType = (rs: readonly MdnsRecord[]) => rs.map((r) => `${r.type} ${r.name}`).sort();

test('replyTo() answers a PTR browse with the pointer, and SRV, TXT and addresses as additionals (RFC 6763 §12)', () => {
  const reply = replyTo([{ name: SERVICE_TYPES.appliance, type: 'PTR' }], [], own);
  assert.equal(byType(reply.answers), [`PTR ${SERVICE_TYPES.appliance}`]);
  assert.equal(byType(reply.additionals), [`A alliance-${'b'.repeat(16)}.local`, `AAAA alliance-${'b'.repeat(16)}.local`, `SRV ${fqdn}`, `TXT ${fqdn}`].sort());
});

const suppression: [string, number, boolean][] = [
  ['the asker holds it with the full TTL', 120, true],
  ['the asker holds it with exactly half the TTL', 60, true],
  ['the asker holds it with less than half the TTL', 59, false],
];
for (const [name, ttl, suppressed] of suppression) {
  test(`replyTo() known-answer suppression (§7.1): ${name} -> ${suppressed ? 'no answer' : 'answered'}`, () => {
    const ptr = own.find((r) => r.type === 'PTR' && r.name === SERVICE_TYPES.appliance)!;
    const reply = replyTo([{ name: SERVICE_TYPES.appliance, type: 'PTR' }], [{ ...ptr, ttl }], own);
    assert.is(reply.answers.length, suppressed ? 0 : 1);
  });
}

test('replyTo() matches names case-insensitively, answers ANY with every type, and ignores names not ours', () => {
  assert.equal(byType(replyTo([{ name: fqdn.toUpperCase(), type: 'ANY' }], [], own).answers), [`SRV ${fqdn}`, `TXT ${fqdn}`]);
  assert.equal(replyTo([{ name: '_http._tcp.local', type: 'PTR' }], [], own), { answers: [], additionals: [] });
  assert.equal(replyTo([{ name: fqdn, type: 'AAAA' }], [], own).answers, []);
});

const unique = own.filter((r) => r.flush);
const srv = unique.find((r) => r.type === 'SRV')!;
const conflictCases: [string, MdnsRecord[], boolean][] = [
  ['our own records echoed back', unique, false],
  ['our SRV in upper case', [{ ...srv, name: srv.name.toUpperCase() }], false],
  ['another SRV for our instance name', [{ ...srv, data: { port: 9999, target: 'other.local' } }], true],
  ['a goodbye for our name with other data', [{ ...srv, ttl: 0, data: { port: 9999, target: 'other.local' } }], false],
  ['another instance altogether', [{ ...srv, name: instanceFqdn('rack 2', 'appliance'), data: { port: 1, target: 'x.local' } }], false],
  ['an address for our host name (other interface, same link)', [{ name: `alliance-${'b'.repeat(16)}.local`, type: 'A', ttl: 120, flush: true, data: '10.9.9.9' }], false],
];
for (const [name, incoming, expected] of conflictCases) {
  test(`conflicts(): ${name} -> ${expected}`, () => assert.is(conflicts(unique, incoming), expected));
}

test('probeTieBreak() (§8.2): the lexicographically later record set wins, symmetric for both sides', () => {
  const mine = [srv];
  const theirs = [{ ...srv, data: { port: srv.data.port + 1, target: srv.data.target } }] as MdnsRecord[];
  assert.is(probeTieBreak(mine, theirs), 'lose');
  assert.is(probeTieBreak(theirs, mine), 'win');
  assert.is(probeTieBreak(mine, mine), 'same');
  // Equal as far as the shorter set goes: the longer one wins.
  const txt = unique.find((r) => r.type === 'TXT')!;
  assert.is(probeTieBreak([txt, srv], [txt]), 'win');
  assert.is(probeTieBreak([txt], [srv, txt]), 'lose');
});

const renames: [string, string][] = [
  ['rack', 'rack (2)'],
  ['rack (2)', 'rack (3)'],
  ['rack (9)', 'rack (10)'],
  ['(2)', '(2) (2)'],
  ['a (b)', 'a (b) (2)'],
];
for (const [from, to] of renames) test(`nextInstanceName(${JSON.stringify(from)}) is ${JSON.stringify(to)}`, () => assert.is(nextInstanceName(from), to));

test('instanceLabel() reads a label back and refuses other service types', () => {
  assert.is(instanceLabel(instanceFqdn('rack 1 süd', 'appliance'), SERVICE_TYPES.appliance), 'rack 1 süd');
  assert.is(instanceLabel(instanceFqdn('x', 'host'), SERVICE_TYPES.appliance), undefined);
  assert.is(instanceLabel(SERVICE_TYPES.appliance, SERVICE_TYPES.appliance), undefined);
});

const addressChanges: [string, { v4: string[]; v6: string[] }, { v4: string[]; v6: string[] }, string[]][] = [
  ['nothing changed', { v4: ['10.0.0.1'], v6: ['fe80::1'] }, { v4: ['10.0.0.1'], v6: ['fe80::1'] }, []],
  ['renumbered', { v4: ['10.0.0.1'], v6: ['fe80::1'] }, { v4: ['10.0.0.2'], v6: ['fe80::1'] }, ['A 10.0.0.1']],
  ['IPv4 gone', { v4: ['10.0.0.1'], v6: ['fe80::1'] }, { v4: [], v6: ['fe80::1'] }, ['A 10.0.0.1']],
  ['one of two IPv6 gone', { v4: [], v6: ['fe80::1', 'fd00::1'] }, { v4: [], v6: ['fe80::1'] }, ['AAAA fd00::1']],
  ['an address added', { v4: [], v6: ['fe80::1'] }, { v4: ['10.0.0.1'], v6: ['fe80::1'] }, []],
];
for (const [what, before, after, gone] of addressChanges) {
  test(`withdrawnRecords(): ${what}`, () => {
    const withdrawn = withdrawnRecords(allRecords(ad, before, 120), allRecords(ad, after, 120));
    assert.equal(withdrawn.map((r) => `${r.type} ${r.type === 'A' || r.type === 'AAAA' ? r.data : '?'}`), gone);
    assert.ok(withdrawn.every((r) => r.ttl === 0 && r.flush), 'goodbyes: TTL 0, cache-flush kept');
  });
}

test.run();
