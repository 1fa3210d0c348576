import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fenceError } from '../../../../services/boot/fence/fence-error.ts';
import { type FenceResult } from '../../../../services/boot/fence/step-fence.ts';

const context = { host: 'h1', bmc: 'ipmi://10.0.0.9', timeoutMs: 20000 };
const cases: Record<string, [FenceResult, string | undefined, string | undefined]> = {
  'a success is no error': [{ ok: true, action: 'off', power: 'off' }, undefined, undefined],
  'a reboot fenced with a warning is no error': [{ ok: true, action: 'reboot', power: 'off', warning: 'x' }, undefined, undefined],
  'an off that timed out': [
    { ok: false, action: 'off', failure: { kind: 'timeout', message: 'not off within 20000 ms' } },
    'APL_BOOT_FENCE_TIMEOUT',
    'Cannot power off host h1: the BMC did not report the power off within 20000 ms; the host must be treated as not fenced',
  ],
  'a reboot against an unreachable BMC': [
    { ok: false, action: 'reboot', failure: { kind: 'unreachable', message: 'Address lookup for bmc9 failed' } },
    'APL_BOOT_FENCE_UNREACHABLE',
    'Cannot power cycle host h1: its BMC at ipmi://10.0.0.9 does not answer (Address lookup for bmc9 failed); check the BMC address and the management network',
  ],
  'a status with refused credentials': [
    { ok: false, action: 'status', failure: { kind: 'auth', message: 'HTTP 401' } },
    'APL_BOOT_FENCE_AUTH',
    'Cannot read the power state of host h1: its BMC at ipmi://10.0.0.9 refused the credentials (HTTP 401); set the BMC user and password again',
  ],
  'an on the BMC failed': [
    { ok: false, action: 'on', failure: { kind: 'failed', message: 'HTTP 500 to ComputerSystem.Reset On' } },
    'APL_BOOT_FENCE_FAILED',
    'Cannot power on host h1: its BMC at ipmi://10.0.0.9 failed the request (HTTP 500 to ComputerSystem.Reset On)',
  ],
};
for (const [name, [result, code, message]] of Object.entries(cases)) {
  test(`fenceError() gives ${name}`, () => {
    const e = fenceError(result, context);
    assert.equal([e?.code, e?.message], [code, message]);
  });
}

test.run();
