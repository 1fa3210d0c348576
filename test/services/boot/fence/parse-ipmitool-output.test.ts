import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type IpmiPowerCommand } from '../../../../services/boot/fence/build-ipmitool-argv.ts';
import { parseIpmitoolOutput, type IpmitoolRun } from '../../../../services/boot/fence/parse-ipmitool-output.ts';
import { type DriverOutcome } from '../../../../services/boot/fence/power-driver.ts';

// Outputs as ipmitool 1.8.19 prints them (Debian 12), against ipmi_sim and real BMCs.
const SESSION = 'Error: Unable to establish IPMI v2 / RMCP+ session\n';
const VERBOSE = 'Loading IANA PEN Registry...\n';
const cases: Record<string, [IpmiPowerCommand, IpmitoolRun, DriverOutcome]> = {
  'status on': ['status', { exitCode: 0, stdout: 'Chassis Power is on\n', stderr: '' }, { ok: true, power: 'on' }],
  'status off': ['status', { exitCode: 0, stdout: 'Chassis Power is off\n', stderr: '' }, { ok: true, power: 'off' }],
  'off accepted': ['off', { exitCode: 0, stdout: 'Chassis Power Control: Down/Off\n', stderr: '' }, { ok: true }],
  'on accepted': ['on', { exitCode: 0, stdout: 'Chassis Power Control: Up/On\n', stderr: '' }, { ok: true }],
  'off answered as if on was asked': ['off', { exitCode: 0, stdout: 'Chassis Power Control: Up/On\n', stderr: '' }, { ok: false, failure: { kind: 'failed', message: 'ipmitool chassis power off printed something unexpected: Chassis Power Control: Up/On' } }],
  'status with nothing printed': ['status', { exitCode: 0, stdout: '', stderr: '' }, { ok: false, failure: { kind: 'failed', message: 'ipmitool chassis power status printed something unexpected: (nothing)' } }],
  'a wrong password': ['status', { exitCode: 1, stdout: '', stderr: `RAKP 2 HMAC is invalid\n${SESSION}` }, { ok: false, failure: { kind: 'auth', message: 'RAKP 2 HMAC is invalid' } }],
  'a wrong user': ['off', { exitCode: 1, stdout: '', stderr: `RAKP 2 message indicates an error : unauthorized name\n${SESSION}` }, { ok: false, failure: { kind: 'auth', message: 'RAKP 2 message indicates an error : unauthorized name' } }],
  'a BMC that does not answer': ['status', { exitCode: 1, stdout: '', stderr: SESSION }, { ok: false, failure: { kind: 'unreachable', message: 'Error: Unable to establish IPMI v2 / RMCP+ session' } }],
  'a name that does not resolve': ['off', { exitCode: 1, stdout: '', stderr: 'Address lookup for bmc9.lan failed\n' }, { ok: false, failure: { kind: 'unreachable', message: 'Address lookup for bmc9.lan failed' } }],
  'a refused power command': [
    'off',
    { exitCode: 1, stdout: '', stderr: 'Set Chassis Power Control to Down/Off failed: Command not supported in present state\n' },
    { ok: false, failure: { kind: 'failed', message: 'Set Chassis Power Control to Down/Off failed: Command not supported in present state' } },
  ],
  'a status the BMC cannot give': ['status', { exitCode: 1, stdout: '', stderr: 'Unable to get Chassis Power Status\n' }, { ok: false, failure: { kind: 'failed', message: 'Unable to get Chassis Power Status' } }],
  'a run killed for time': ['off', { exitCode: null, stdout: '', stderr: '', timedOut: true }, { ok: false, failure: { kind: 'timeout', message: 'ipmitool chassis power off ran out of time' } }],
  'a silent failure': ['on', { exitCode: 1, stdout: '', stderr: '' }, { ok: false, failure: { kind: 'failed', message: 'ipmitool exited with 1 and said nothing' } }],
  // With -v (as the driver runs it), captured from ipmi_sim (OpenIPMI 2.0.33).
  'a verbose status on': ['status', { exitCode: 0, stdout: 'Chassis Power is on\n', stderr: `${VERBOSE}Running Get VSO Capabilities my_addr 0x20, transit 0, target 0x20\nInvalid completion code received: Invalid command\nDiscovered IPMB address 0x0\n` }, { ok: true, power: 'on' }],
  'a verbose wrong password': ['status', { exitCode: 1, stdout: '', stderr: `${VERBOSE}> RAKP 2 HMAC is invalid\n${SESSION}` }, { ok: false, failure: { kind: 'auth', message: '> RAKP 2 HMAC is invalid' } }],
  'a verbose BMC that does not answer': [
    'status',
    { exitCode: 1, stdout: '', stderr: `${VERBOSE}Get Auth Capabilities error\nError issuing Get Channel Authentication Capabilities request\n${SESSION}` },
    { ok: false, failure: { kind: 'unreachable', message: 'Get Auth Capabilities error' } },
  ],
  'a verbose refused power command': ['on', { exitCode: 1, stdout: '', stderr: `${VERBOSE}Set Chassis Power Control to Up/On failed: Invalid data field in request\n` }, { ok: false, failure: { kind: 'failed', message: 'Set Chassis Power Control to Up/On failed: Invalid data field in request' } }],
  'control characters in the output': ['status', { exitCode: 1, stdout: '', stderr: 'weird\x1b[31m failure\x07\n' }, { ok: false, failure: { kind: 'failed', message: 'weird[31m failure' } }],
};
for (const [name, [command, run, outcome]] of Object.entries(cases)) {
  test(`parseIpmitoolOutput() reads ${name}`, () => {
    assert.equal(parseIpmitoolOutput(command, run), outcome);
  });
}

test.run();
