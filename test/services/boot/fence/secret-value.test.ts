import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { redactSecrets, SecretValue } from '../../../../services/boot/fence/secret-value.ts';

const cases: Record<string, [string, (SecretValue | string)[], string]> = {
  'a secret in a message': ['login failed for admin:hunter2 at bmc', [new SecretValue('hunter2')], 'login failed for admin:[redacted] at bmc'],
  'every occurrence of several secrets': ['a b a c', ['a', new SecretValue('c')], '[redacted] b [redacted] [redacted]'],
  'a Basic authorization header': ['Authorization: Basic YWRtaW46aHVudGVyMg==', [], 'Authorization: Basic [redacted]'],
  'a secret full of regular-expression characters': ['pw=a.b*(c)|$1 end', [new SecretValue('a.b*(c)|$1')], 'pw=[redacted] end'],
  'an empty secret, which redacts nothing': ['text', [''], 'text'],
};
for (const [name, [text, secrets, expected]] of Object.entries(cases)) {
  test(`redactSecrets() redacts ${name}`, () => {
    assert.is(redactSecrets(text, secrets), expected);
  });
}

test('SecretValue reveal() gives the text and nothing else does', () => {
  const s = new SecretValue('hunter2');
  assert.is(s.reveal(), 'hunter2');
  assert.is(JSON.stringify([s]), '["[redacted]"]');
  assert.is(String(s), '[redacted]');
});

test.run();
