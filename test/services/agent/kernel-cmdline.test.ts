import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseKernelCmdline, splitKernelCmdline } from '../../../services/agent/kernel-cmdline.ts';

const FP = Array.from({ length: 32 }, (_, i) => (i * 7).toString(16).padStart(2, '0').slice(-2).toUpperCase()).join(':');
const CODE = 'abcdefgh.abcdefghijklmnopqrstuvwxyz234567';

const cases: Record<string, [string, { controller?: string; joinCode?: string; fingerprint?: string; problems?: RegExp[] }]> = {
  'nothing of ours': ['BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet', {}],
  'all three, plain': [`quiet alliance.controller=10.0.0.5:8443 alliance.join=${CODE} alliance.fingerprint=${FP}`, { controller: '10.0.0.5:8443', joinCode: CODE, fingerprint: FP }],
  'an IPv6 controller': ['alliance.controller=[fd00::5]:8443', { controller: '[fd00::5]:8443' }],
  'value in quotes': [`alliance.join="${CODE}"`, { joinCode: CODE }],
  'whole parameter in quotes': [`"alliance.controller=appliance.lab:8443"`, { controller: 'appliance.lab:8443' }],
  'lower-case fingerprint is upper-cased': [`alliance.fingerprint=${FP.toLowerCase()}`, { fingerprint: FP }],
  'the last occurrence wins': ['alliance.controller=a.lab:1 alliance.controller=b.lab:2', { controller: 'b.lab:2' }],
  'a bad last occurrence unsets an earlier good one': ['alliance.controller=a.lab:1 alliance.controller=nope', { problems: [/alliance.controller="nope" is not host:port/] }],
  'after -- it is init\'s, not ours': ['quiet -- alliance.controller=10.0.0.5:8443', {}],
  'tabs and newlines separate too': ['ro\talliance.controller=10.0.0.5:8443\n', { controller: '10.0.0.5:8443' }],
  'port out of range': ['alliance.controller=10.0.0.5:70000', { problems: [/is not host:port; ignored/] }],
  'no value': ['alliance.controller', { problems: [/alliance.controller="" is not host:port/] }],
  'a bad join code is reported without its text': ['alliance.join=SECRET.SECRET', { problems: [/^alliance.join is not a join code/] }],
  'short fingerprint': ['alliance.fingerprint=AA:BB', { problems: [/not a SHA-256 fingerprint/] }],
  'garbage bytes are quoted printable and short': [`alliance.controller=\u0001\u0002${'x'.repeat(200)}`, { problems: [/"\?\?x{75}\.\.\."/] }],
  'unknown alliance.* parameters are left alone': ['alliance.boot=1 alliance.controller=h:1', { controller: 'h:1' }],
  'an unterminated quote runs to the end': ['alliance.join="abc def', { problems: [/alliance.join is not a join code/] }],
  'empty text': ['', {}],
};

for (const [name, [text, expected]] of Object.entries(cases)) {
  test(`parseKernelCmdline() ${name}`, () => {
    const got = parseKernelCmdline(text);
    assert.is(got.controller, expected.controller);
    assert.is(got.joinCode, expected.joinCode);
    assert.is(got.fingerprint, expected.fingerprint);
    assert.is(got.problems.length, expected.problems?.length ?? 0, got.problems.join('; '));
    expected.problems?.forEach((p, i) => assert.match(got.problems[i]!, p));
  });
}

test('parseKernelCmdline() never repeats a join secret in a problem', () => {
  const got = parseKernelCmdline('alliance.join=abcdefgh.tooshort');
  assert.not.match(got.problems.join(' '), /tooshort/);
});

test('splitKernelCmdline() keeps spaces inside quotes and drops the quotes', () => {
  assert.equal(splitKernelCmdline('a="b c" "d=e f" g'), [
    { name: 'a', value: 'b c' },
    { name: 'd', value: 'e f' },
    { name: 'g', value: undefined },
  ]);
});

test('splitKernelCmdline() reads at most 64 KiB', () => {
  const params = splitKernelCmdline('x '.repeat(100_000));
  assert.is(params.length, 32_768);
});

test.run();
