import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isAllianceError } from '../../../../appliance/errors/index.ts';
import { parsePublicKey } from '../../../../services/controller/compute/ssh-public-key.ts';
import { sshKeyLine } from './_compute-harness.ts';

test('parsePublicKey() keeps the line and gives the SHA256 fingerprint ssh-keygen -l prints', () => {
  const line = sshKeyLine('me@host');
  const blob = Buffer.from(line.split(' ')[1]!, 'base64');
  const parsed = parsePublicKey(`  ${line}\n`);
  assert.is(parsed.line, line);
  assert.is(parsed.fingerprint, `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`);
});

test('parsePublicKey() refuses what is not one OpenSSH public key', () => {
  const line = sshKeyLine();
  const cases: Record<string, string> = {
    'empty': '',
    'a private key': '-----BEGIN OPENSSH PRIVATE KEY-----',
    'an unknown type': line.replace('ssh-ed25519', 'ssh-dss'),
    'a type the data does not have': line.replace('ssh-ed25519', 'ssh-rsa'),
    'no base64': 'ssh-ed25519 !!!',
    'two lines': `${line}\n${line}`,
    'only the type in the data': `ssh-ed25519 ${Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519')]).toString('base64')}`,
  };
  for (const [name, text] of Object.entries(cases)) {
    try {
      parsePublicKey(text);
      assert.unreachable(name);
    } catch (err) {
      assert.ok(isAllianceError(err, 'APL_COMPUTE_BAD_PUBLIC_KEY'), `${name}: ${String(err)}`);
    }
  }
});

test.run();
