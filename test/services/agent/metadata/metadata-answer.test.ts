// Every path of the EC2 and OpenStack trees as cloud-init reads them, for one
// spec, and the paths that must not answer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { answerMetadata } from '../../../../services/agent/metadata/metadata-answer.ts';
import { ED25519, INSTANCE_ID, RSA, instance } from './_instance.ts';

const USER_DATA = '#cloud-config\nruncmd: [[echo, "{{not a template}}"]]\n';
const full = instance({ sshKeys: [ED25519, RSA], userData: USER_DATA });
const bare = instance({ sshKeys: [], userData: null });

// path → body for `full` (text unless it parses as JSON below).
const answers: Record<string, string> = {
  '/': '2009-04-04\n2016-09-02\n2018-09-24\n2021-03-23\nlatest\nopenstack',
  '/latest': 'meta-data\nuser-data',
  '/latest/': 'meta-data\nuser-data',
  '/latest/meta-data': 'hostname\ninstance-id\nlocal-hostname\npublic-keys/',
  '/latest/meta-data/': 'hostname\ninstance-id\nlocal-hostname\npublic-keys/',
  '/latest/meta-data/instance-id': INSTANCE_ID,
  '/latest/meta-data/local-hostname': 'web-1',
  '/latest/meta-data/hostname': 'web-1',
  '/latest/meta-data/public-keys/': '0=key-0\n1=key-1',
  '/latest/meta-data/public-keys': '0=key-0\n1=key-1',
  '/latest/meta-data/public-keys/0/': 'openssh-key',
  '/latest/meta-data/public-keys/1': 'openssh-key',
  '/latest/meta-data/public-keys/0/openssh-key': ED25519,
  '/latest/meta-data/public-keys/1/openssh-key': RSA,
  '/latest/user-data': USER_DATA,
  '/2021-03-23/meta-data/instance-id': INSTANCE_ID,
  '/2009-04-04/meta-data/public-keys/0/openssh-key': ED25519,
  '/2009-04-04/user-data': USER_DATA,
  '/openstack': 'latest',
  '/openstack/': 'latest',
  '/openstack/latest/': 'meta_data.json\nuser_data',
  '/openstack/latest/user_data': USER_DATA,
};

for (const [path, body] of Object.entries(answers)) {
  test(`answerMetadata() answers ${path}`, () => {
    const answer = answerMetadata(full, path);
    assert.equal(answer, { type: 'text/plain; charset=utf-8', body });
  });
}

test('answerMetadata() answers /openstack/latest/meta_data.json from the spec alone', () => {
  const answer = answerMetadata(full, '/openstack/latest/meta_data.json');
  assert.is(answer?.type, 'application/json; charset=utf-8');
  assert.equal(JSON.parse(answer!.body), {
    uuid: INSTANCE_ID,
    name: 'web-1',
    hostname: 'web-1',
    project_id: 'p-42',
    public_keys: { 'key-0': ED25519, 'key-1': RSA },
    launch_index: 0,
  });
});

const bareAnswers: Record<string, string | undefined> = {
  '/latest/': 'meta-data',
  '/latest/meta-data/': 'hostname\ninstance-id\nlocal-hostname',
  '/latest/user-data': undefined,
  '/latest/meta-data/public-keys/': undefined,
  '/latest/meta-data/public-keys/0/openssh-key': undefined,
  '/openstack/latest/': 'meta_data.json',
  '/openstack/latest/user_data': undefined,
};

for (const [path, body] of Object.entries(bareAnswers)) {
  test(`answerMetadata() without keys or user data: ${path} is ${body === undefined ? 'absent' : 'listed without them'}`, () => {
    assert.is(answerMetadata(bare, path)?.body, body);
  });
}

test('answerMetadata() without keys gives OpenStack an empty public_keys', () => {
  const parsed = JSON.parse(answerMetadata(bare, '/openstack/latest/meta_data.json')!.body) as { public_keys: unknown };
  assert.equal(parsed.public_keys, {});
});

const absent = [
  '',
  '/nope',
  '/1999-01-01/meta-data/instance-id',
  '/latest/meta-data/ami-id',
  '/latest/meta-data/instance-id/',
  '/latest/meta-data/public-keys/2/openssh-key',
  '/latest/meta-data/public-keys/00/openssh-key',
  '/latest/meta-data/public-keys/-1/openssh-key',
  '/latest/meta-data/public-keys/0/openssh-key/',
  '/latest/meta-data/public-keys/0/../../instance-id',
  '/latest/meta-data/../user-data',
  '/latest//meta-data/instance-id',
  '/LATEST/meta-data/instance-id',
  '/latest/meta-data/iam/security-credentials/',
  '/openstack/latest/network_data.json',
  '/openstack/latest/vendor_data.json',
  '/openstack/2012-08-10/meta_data.json',
  '/openstack/latest/meta_data.json/',
];

for (const path of absent) {
  test(`answerMetadata() has nothing at "${path}"`, () => {
    assert.is(answerMetadata(full, path), undefined);
  });
}

test.run();
