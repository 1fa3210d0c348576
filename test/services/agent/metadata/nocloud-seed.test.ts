// The NoCloud seed's files as whole strings, and that PyYAML (what cloud-init
// parses meta-data with) reads every key back exactly, however odd its text.
import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_USER_DATA, renderMetaData, renderNoCloudSeed, renderUserData } from '../../../../services/agent/metadata/nocloud-seed.ts';
import { ED25519, INSTANCE_ID, RSA, instance } from './_instance.ts';

const metaDataCases: Record<string, [Parameters<typeof instance>[0], string]> = {
  'one key': [{}, `instance-id: "${INSTANCE_ID}"\nlocal-hostname: "web-1"\npublic-keys:\n  - "${ED25519}"\n`],
  'two keys, one with quotes and a hash': [
    { sshKeys: [ED25519, RSA] },
    `instance-id: "${INSTANCE_ID}"\nlocal-hostname: "web-1"\npublic-keys:\n  - "${ED25519}"\n  - "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 bob \\"quoted\\" #not-a-comment"\n`,
  ],
  'no keys': [{ sshKeys: [] }, `instance-id: "${INSTANCE_ID}"\nlocal-hostname: "web-1"\npublic-keys: []\n`],
  'a hostname that YAML would read as a number': [{ hostname: '1e3', sshKeys: [] }, `instance-id: "${INSTANCE_ID}"\nlocal-hostname: "1e3"\npublic-keys: []\n`],
  'a hostname that YAML 1.1 would read as false': [{ hostname: 'no', sshKeys: [] }, `instance-id: "${INSTANCE_ID}"\nlocal-hostname: "no"\npublic-keys: []\n`],
  'a key with a line break cannot start a new key or field': [
    { sshKeys: ['ssh-ed25519 AAAA x\n  - ssh-rsa EVIL\ninstance-id: other'] },
    `instance-id: "${INSTANCE_ID}"\nlocal-hostname: "web-1"\npublic-keys:\n  - "ssh-ed25519 AAAA x\\u000a  - ssh-rsa EVIL\\u000ainstance-id: other"\n`,
  ],
};

for (const [name, [metadata, expected]] of Object.entries(metaDataCases)) {
  test(`renderMetaData() ${name}`, () => {
    assert.fixture(renderMetaData(instance(metadata)), expected);
  });
}

const userDataCases: Record<string, [string | null, string]> = {
  'none gives the minimal cloud-config': [null, DEFAULT_USER_DATA],
  'a cloud-config is kept byte for byte': ['#cloud-config\npackages: [nginx]\n', '#cloud-config\npackages: [nginx]\n'],
  'a script is kept byte for byte': ['#!/bin/sh\necho "$HOME" > /tmp/x\n', '#!/bin/sh\necho "$HOME" > /tmp/x\n'],
  'an empty string is the user\'s, not none': ['', ''],
};

for (const [name, [userData, expected]] of Object.entries(userDataCases)) {
  test(`renderUserData() ${name}`, () => {
    assert.is(renderUserData(instance({ userData })), expected);
  });
}

test('DEFAULT_USER_DATA is a cloud-config that only asks for the datasource keys', () => {
  assert.ok(DEFAULT_USER_DATA.startsWith('#cloud-config\n'));
  assert.match(DEFAULT_USER_DATA, /^allow_public_ssh_keys: true$/m);
  assert.not.match(DEFAULT_USER_DATA, /ssh-(ed25519|rsa)/);
});

test('renderNoCloudSeed() keeps the keys in meta-data when the user gave user data too', () => {
  const seed = renderNoCloudSeed(instance({ sshKeys: [ED25519, RSA], userData: '#cloud-config\nruncmd: [true]\n' }));
  assert.equal(Object.keys(seed), ['user-data', 'meta-data']);
  assert.is(seed['user-data'], '#cloud-config\nruncmd: [true]\n');
  assert.match(seed['meta-data'], ED25519);
  assert.not.match(seed['user-data'], 'ssh-');
});

test('renderMetaData() is read back exactly by PyYAML, whatever the keys hold', () => {
  const keys = [ED25519, RSA, 'a: b', '- dash', "it's", 'back\\slash', 'tab\there', 'line\u2028sep', 'caf\u00e9 \u{1F511}', '\u0000\u0007\u0085\u00a0', '{[&*!|>%@`'];
  const spec = instance({ hostname: 'yes', sshKeys: keys });
  const parsed = JSON.parse(
    execFileSync('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'], { input: renderMetaData(spec), encoding: 'utf8' }),
  ) as unknown;
  assert.equal(parsed, { 'instance-id': INSTANCE_ID, 'local-hostname': 'yes', 'public-keys': keys });
});

test.run();
