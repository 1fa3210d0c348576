import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isAllianceError } from '../../../appliance/errors/index.ts';
import { hostRecordFileName, planHostsDir, renderHostRecord, type HostRecord } from '../../../services/boot/host-records.ts';

const renders: Record<string, { record: HostRecord; expected: string }> = {
  'a fixed address and a name as MAC,IP,name': { record: { mac: '52:54:00:00:00:01', ip: '10.20.0.11', name: 'node-1', allow: true }, expected: '52:54:00:00:00:01,10.20.0.11,node-1\n' },
  'a name only as MAC,name': { record: { mac: '52:54:00:00:00:02', name: 'node-2', allow: true }, expected: '52:54:00:00:00:02,node-2\n' },
  'an address only as MAC,IP': { record: { mac: '52:54:00:00:00:03', ip: '10.20.0.13', allow: true }, expected: '52:54:00:00:00:03,10.20.0.13\n' },
  'a bare known MAC as MAC': { record: { mac: '52:54:00:00:00:04', allow: true }, expected: '52:54:00:00:00:04\n' },
  'a denied host as MAC,ignore, dropping its address and name': { record: { mac: '52:54:00:00:00:05', ip: '10.20.0.15', name: 'node-5', allow: false }, expected: '52:54:00:00:00:05,ignore\n' },
  'an upper-case MAC in lower case': { record: { mac: '52:54:00:AB:CD:EF', name: 'node-6', allow: true }, expected: '52:54:00:ab:cd:ef,node-6\n' },
};

for (const [name, { record, expected }] of Object.entries(renders)) {
  test(`renderHostRecord() renders ${name}`, () => {
    assert.is(renderHostRecord(record), expected);
  });
}

const refusals: Record<string, HostRecord> = {
  'a MAC with a tag after it': { mac: '52:54:00:00:00:01,set:enrol', allow: true },
  'a MAC of five octets': { mac: '52:54:00:00:01', allow: true },
  'a MAC with dashes': { mac: '52-54-00-00-00-01', allow: true },
  'an address with a tag after it': { mac: '52:54:00:00:00:01', ip: '10.20.0.11,set:x', allow: true },
  'a name with a newline and a second record': { mac: '52:54:00:00:00:01', name: 'a\n52:54:00:00:00:02,set:x', allow: true },
  'a name with a domain': { mac: '52:54:00:00:00:01', name: 'node.example', allow: true },
  'a name of 64 characters': { mac: '52:54:00:00:00:01', name: 'a'.repeat(64), allow: true },
  'a name ending in a dash': { mac: '52:54:00:00:00:01', name: 'node-', allow: true },
  'an allow that is not a boolean': { mac: '52:54:00:00:00:01', allow: 'yes' as unknown as boolean },
};

for (const [name, record] of Object.entries(refusals)) {
  test(`renderHostRecord() refuses ${name} with APL_BOOT_HOST_RECORD_INVALID`, () => {
    assert.throws(() => renderHostRecord(record), (err: unknown) => isAllianceError(err, 'APL_BOOT_HOST_RECORD_INVALID'));
  });
}

test('hostRecordFileName() names a file by the lower-case MAC with dashes', () => {
  assert.is(hostRecordFileName('52:54:00:AB:CD:EF'), '52-54-00-ab-cd-ef');
  assert.throws(() => hostRecordFileName('../etc/passwd'), (err: unknown) => isAllianceError(err, 'APL_BOOT_HOST_RECORD_INVALID'));
});

const h1: HostRecord = { mac: '52:54:00:00:00:01', ip: '10.20.0.11', name: 'node-1', allow: true };
const h2: HostRecord = { mac: '52:54:00:00:00:02', name: 'node-2', allow: true };
const h3: HostRecord = { mac: '52:54:00:00:00:03', allow: false };
const files = (...records: HostRecord[]): Map<string, string> => new Map(records.map((r) => [hostRecordFileName(r.mac), renderHostRecord(r)]));

const plans: Record<string, { current: Map<string, string>; desired: HostRecord[]; expected: ReturnType<typeof planHostsDir> }> = {
  'an empty directory: writes every record, no SIGHUP (new files are read by themselves)': {
    current: new Map(),
    desired: [h2, h1],
    expected: {
      writes: [
        { file: '52-54-00-00-00-01', content: '52:54:00:00:00:01,10.20.0.11,node-1\n' },
        { file: '52-54-00-00-00-02', content: '52:54:00:00:00:02,node-2\n' },
      ],
      deletes: [],
      foreign: [],
      reload: false,
    },
  },
  'a directory as desired: nothing to do': { current: files(h1, h2, h3), desired: [h1, h2, h3], expected: { writes: [], deletes: [], foreign: [], reload: false } },
  'one new host beside the others: one write, no SIGHUP': {
    current: files(h1),
    desired: [h1, h3],
    expected: { writes: [{ file: '52-54-00-00-00-03', content: '52:54:00:00:00:03,ignore\n' }], deletes: [], foreign: [], reload: false },
  },
  'a host now denied: rewrites its record and asks for a SIGHUP': {
    current: files(h1, h2),
    desired: [h1, { ...h2, allow: false }],
    expected: { writes: [{ file: '52-54-00-00-00-02', content: '52:54:00:00:00:02,ignore\n' }], deletes: [], foreign: [], reload: true },
  },
  'a host removed: deletes its file and asks for a SIGHUP': {
    current: files(h1, h2, h3),
    desired: [h1, h3],
    expected: { writes: [], deletes: ['52-54-00-00-00-02'], foreign: [], reload: true },
  },
  'files that are not host records: left alone and listed': {
    current: new Map([...files(h1), ['README', 'x'], ['.52-54-00-00-00-01.tmp', 'y']]),
    desired: [h1],
    expected: { writes: [], deletes: [], foreign: ['.52-54-00-00-00-01.tmp', 'README'], reload: false },
  },
};

for (const [name, { current, desired, expected }] of Object.entries(plans)) {
  test(`planHostsDir() plans ${name}`, () => {
    assert.equal(planHostsDir(current, desired), expected);
  });
}

test('planHostsDir() refuses two records for one MAC', () => {
  assert.throws(() => planHostsDir(new Map(), [h1, { ...h1, mac: h1.mac.toUpperCase() }]), (err: unknown) => isAllianceError(err, 'APL_BOOT_HOST_RECORD_INVALID'));
});

test.run();
