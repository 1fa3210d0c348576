import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultConfig } from '../../../appliance/config/index.ts';
import { resolveAgentSettings } from '../../../services/agent/agent-settings.ts';

const agent = defaultConfig('h').agent;
const CODE_A = 'aaaaaaaa.abcdefghijklmnopqrstuvwxyz234567';
const CODE_B = 'bbbbbbbb.abcdefghijklmnopqrstuvwxyz765432';
const FP_A = Array(32).fill('AA').join(':');
const FP_B = Array(32).fill('bb').join(':');

test('resolveAgentSettings() with nothing set: look for the controller, no join code, trust on first use', () => {
  const s = resolveAgentSettings(agent, { cmdline: 'quiet' });
  assert.equal(s.controller, { config: '', cmdline: undefined });
  assert.is(s.joinCode, undefined);
  assert.is(s.fingerprint, '');
  assert.is(s.fingerprintSource, 'none');
  assert.equal(s.warnings, []);
});

test('resolveAgentSettings() takes all three from the kernel command line', () => {
  const s = resolveAgentSettings(agent, { cmdline: `alliance.controller=10.0.0.5:8443 alliance.join=${CODE_B} alliance.fingerprint=${FP_B}` });
  assert.equal(s.controller, { config: '', cmdline: '10.0.0.5:8443' });
  assert.equal(s.joinCode, { id: 'bbbbbbbb', secret: 'abcdefghijklmnopqrstuvwxyz765432', source: 'kernel command line' });
  assert.is(s.fingerprint, FP_B.toUpperCase());
  assert.is(s.fingerprintSource, 'cmdline');
});

test('resolveAgentSettings(): the config file wins over the kernel command line, setting by setting', () => {
  const s = resolveAgentSettings(
    { ...agent, controller: 'a.lab:1', join_code_file: '/etc/alliance/join', fingerprint: FP_A },
    { cmdline: `alliance.controller=b.lab:2 alliance.join=${CODE_B} alliance.fingerprint=${FP_B}`, joinCodeFile: `${CODE_A}\n` },
  );
  assert.is(s.controller.config, 'a.lab:1');
  assert.is(s.joinCode?.id, 'aaaaaaaa');
  assert.is(s.joinCode?.source, '/etc/alliance/join');
  assert.is(s.fingerprint, FP_A);
  assert.is(s.fingerprintSource, 'config');
});

test('resolveAgentSettings() calls a join code file without a join code a configuration error, without quoting it', () => {
  try {
    resolveAgentSettings({ ...agent, join_code_file: '/etc/alliance/join' }, { cmdline: '', joinCodeFile: 'hunter2' });
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.is((err as { code: string }).code, 'APL_AGENT_JOIN_CODE_INVALID');
    assert.is((err as { exitCode: number }).exitCode, 2);
    assert.not.match((err as Error).message, /hunter2/);
  }
});

test('resolveAgentSettings() only warns about bad kernel parameters and an unreadable command line file', () => {
  const s = resolveAgentSettings(agent, { cmdline: 'alliance.join=nope alliance.controller=x' });
  assert.is(s.joinCode, undefined);
  assert.is(s.warnings.length, 2);
  assert.ok(s.warnings.every((w) => w.startsWith('kernel command line: ')));
  assert.equal(resolveAgentSettings(agent, { cmdline: undefined }).warnings, ['cannot read /proc/cmdline; kernel command line settings are not used']);
});

test.run();
