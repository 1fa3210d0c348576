import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ipmiDriver, type IpmitoolRunner } from '../../../../services/boot/fence/ipmi-driver.ts';
import { type IpmitoolRun } from '../../../../services/boot/fence/parse-ipmitool-output.ts';
import { SecretValue } from '../../../../services/boot/fence/secret-value.ts';

const PASSWORD = 'hunter2-Secret';

function recording(answer: IpmitoolRun) {
  const calls: { argv: readonly string[]; env: Readonly<Record<string, string>> }[] = [];
  const run: IpmitoolRunner = async (argv, { env }) => {
    calls.push({ argv, env });
    return answer;
  };
  return { calls, run };
}

test('ipmiDriver() passes the password only in IPMI_PASSWORD and reads the state', async () => {
  const r = recording({ exitCode: 0, stdout: 'Chassis Power is off\n', stderr: '' });
  const driver = ipmiDriver({ host: '10.0.0.9', user: 'admin' }, { password: new SecretValue(PASSWORD), run: r.run });
  assert.equal(await driver.call('read-state', { signal: new AbortController().signal }), { ok: true, power: 'off' });
  assert.equal(r.calls, [{ argv: ['-v', '-I', 'lanplus', '-H', '10.0.0.9', '-U', 'admin', '-E', '-N', '2', '-R', '2', 'chassis', 'power', 'status'], env: { IPMI_PASSWORD: PASSWORD } }]);
  assert.is(driver.target, 'ipmi://10.0.0.9');
});

test('ipmiDriver() maps operations onto chassis power commands', async () => {
  const r = recording({ exitCode: 0, stdout: 'Chassis Power Control: Down/Off\n', stderr: '' });
  const driver = ipmiDriver({ host: 'fd00::9', port: 6230, user: 'admin' }, { password: new SecretValue(PASSWORD), run: r.run });
  await driver.call('power-off', { signal: new AbortController().signal });
  assert.equal(r.calls[0]!.argv.slice(-3), ['chassis', 'power', 'off']);
  assert.is(driver.target, 'ipmi://[fd00::9]:6230');
});

test('ipmiDriver() redacts the password if ipmitool ever echoes it', async () => {
  const r = recording({ exitCode: 1, stdout: '', stderr: `Invalid password ${PASSWORD}\n` });
  const driver = ipmiDriver({ host: 'bmc', user: 'admin' }, { password: new SecretValue(PASSWORD), run: r.run });
  assert.equal(await driver.call('power-on', { signal: new AbortController().signal }), { ok: false, failure: { kind: 'auth', message: 'Invalid password [redacted]' } });
});

test('ipmiDriver() refuses a bad target when made, not when fencing', () => {
  assert.throws(() => ipmiDriver({ host: '-H', user: 'admin' }, { password: new SecretValue(PASSWORD), run: recording({ exitCode: 0, stdout: '', stderr: '' }).run }), /BMC address/);
});

test.run();
