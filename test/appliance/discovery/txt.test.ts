import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeTxt, encodeTxt, type AdvertisedNode } from '../../../appliance/discovery/index.ts';

const node: AdvertisedNode = { clusterId: '', nodeId: 'a'.repeat(52), role: 'appliance', version: '0.1.0', apiPort: 8443, busPort: 8444 };
const fields = (over: Record<string, string | null>): string[] => {
  const base: Record<string, string> = { txtvers: '1', node: 'a'.repeat(52), role: 'host', cluster: '', version: '1.2.3', api: '8443', bus: '0' };
  return Object.entries({ ...base, ...over }).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${v!}`);
};

test('encodeTxt() and decodeTxt() round-trip a node', () => {
  assert.equal(decodeTxt(encodeTxt(node)), { ok: true, node });
  assert.equal(decodeTxt(encodeTxt({ ...node, role: 'host', clusterId: 'c'.repeat(20), busPort: 0 })), { ok: true, node: { ...node, role: 'host', clusterId: 'c'.repeat(20), busPort: 0 } });
});

test('decodeTxt() puts txtvers first and keeps the first of a repeated key (RFC 6763 §6.4)', () => {
  assert.is(encodeTxt(node)[0]!.toString(), 'txtvers=1');
  const r = decodeTxt([...fields({}), 'role=appliance']);
  assert.ok(r.ok && r.node.role === 'host');
});

const refused: Record<string, [string[], RegExp]> = {
  'no txtvers': [fields({ txtvers: null }), /txtvers null/],
  'a future txtvers': [fields({ txtvers: '2' }), /txtvers "2"/],
  'a short node id': [fields({ node: 'abc' }), /node is not a node id/],
  'a node id with upper case': [fields({ node: 'A'.repeat(52) }), /node is not a node id/],
  'an unknown role': [fields({ role: 'controller' }), /role "controller"/],
  'no role': [fields({ role: null }), /role null/],
  'a cluster id with odd characters': [fields({ cluster: 'x;y' }), /cluster/],
  'an empty version': [fields({ version: '' }), /version/],
  'a version with spaces': [fields({ version: '1 2' }), /version/],
  'api port 0': [fields({ api: '0' }), /api is not a port/],
  'api port 70000': [fields({ api: '70000' }), /api is not a port/],
  'a negative bus port': [fields({ bus: '-1' }), /bus is not a port/],
  'no strings at all': [[], /txtvers/],
};
for (const [name, [strings, problem]] of Object.entries(refused)) {
  test(`decodeTxt() refuses ${name} with a problem, not a throw`, () => {
    const r = decodeTxt(strings.map((s) => Buffer.from(s)));
    assert.is(r.ok, false);
    if (!r.ok) assert.match(r.problem, problem);
  });
}

test('decodeTxt() survives bytes that are not UTF-8 and keys without values', () => {
  const r = decodeTxt([Buffer.from([0xff, 0xfe, 0x3d]), Buffer.from('flag'), ...fields({}).map((s) => Buffer.from(s))]);
  assert.ok(r.ok);
});

test.run();
