import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildIpmitoolArgv, type IpmiPowerCommand, type IpmitoolArgvOptions, type IpmiTarget } from '../../../../services/boot/fence/build-ipmitool-argv.ts';

const cases: Record<string, [IpmiTarget, IpmiPowerCommand, IpmitoolArgvOptions, string]> = {
  'status with defaults': [{ host: '10.0.0.9', user: 'admin' }, 'status', {}, '-v -I lanplus -H 10.0.0.9 -U admin -E -N 2 -R 2 chassis power status'],
  'off with a port and cipher suite': [{ host: 'bmc1.lan', port: 9001, user: 'fence', cipherSuite: 3 }, 'off', { timeoutS: 1, retries: 0 }, '-v -I lanplus -H bmc1.lan -p 9001 -U fence -E -C 3 -N 1 -R 0 chassis power off'],
  'on at an IPv6 BMC': [{ host: 'fd00::9', user: 'ADMIN' }, 'on', {}, '-v -I lanplus -H fd00::9 -U ADMIN -E -N 2 -R 2 chassis power on'],
};
for (const [name, [target, command, options, expected]] of Object.entries(cases)) {
  test(`buildIpmitoolArgv() builds ${name}`, () => {
    assert.is(buildIpmitoolArgv(target, command, options).join(' '), expected);
  });
}

const refused: Record<string, [IpmiTarget, IpmitoolArgvOptions, RegExp]> = {
  'a host that looks like an option': [{ host: '-oProxyCommand=x', user: 'a' }, {}, /BMC address/],
  'a host of only dots and colons': [{ host: '::', user: 'a' }, {}, /BMC address/],
  'a host with a space': [{ host: 'bmc 1', user: 'a' }, {}, /BMC address/],
  'a user that looks like an option': [{ host: 'bmc', user: '-P' }, {}, /BMC user/],
  'a user longer than IPMI allows': [{ host: 'bmc', user: 'a'.repeat(17) }, {}, /BMC user/],
  'port 0': [{ host: 'bmc', user: 'a', port: 0 }, {}, /BMC port/],
  'cipher suite 18': [{ host: 'bmc', user: 'a', cipherSuite: 18 }, {}, /cipher suite/],
  'a fractional timeout': [{ host: 'bmc', user: 'a' }, { timeoutS: 1.5 }, /ipmitool timeout/],
};
for (const [name, [target, options, message]] of Object.entries(refused)) {
  test(`buildIpmitoolArgv() refuses ${name}`, () => {
    assert.throws(() => buildIpmitoolArgv(target, 'off', options), message);
  });
}

test('buildIpmitoolArgv() never carries a password option', () => {
  const argv = buildIpmitoolArgv({ host: 'bmc', user: 'a' }, 'status');
  assert.not.ok(argv.includes('-P') || argv.includes('-f'));
  assert.ok(argv.includes('-E'));
});

test.run();
