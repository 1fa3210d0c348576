import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runFence } from '../../../../services/boot/fence/run-fence.ts';
import { redfishDriver, type RedfishTransport } from '../../../../services/boot/fence/redfish-driver.ts';
import { SecretValue } from '../../../../services/boot/fence/secret-value.ts';

/**
 * A Redfish test double following the DMTF ComputerSystem schema: one system at
 * /redfish/v1/Systems/1 with PowerState, ComputerSystem.Reset taking On, ForceOff
 * and ForceRestart, 409 when already in the asked state, 401 without the right
 * Basic credentials. Power changes show up on the second read after the reset.
 */
function dmtfDouble(initial: 'On' | 'Off') {
  let power = initial;
  let pending: { to: 'On' | 'Off'; reads: number } | undefined;
  const log: string[] = [];
  const transport: RedfishTransport = async (request) => {
    log.push(`${request.method} ${new URL(request.url).pathname}${request.body === undefined ? '' : ` ${request.body}`}`);
    if (request.headers.Authorization !== `Basic ${Buffer.from('admin:s3cret').toString('base64')}`) return { status: 401, body: '' };
    if (request.method === 'GET') {
      if (pending !== undefined && --pending.reads <= 0) {
        power = pending.to;
        pending = undefined;
      }
      return { status: 200, body: JSON.stringify({ '@odata.id': '/redfish/v1/Systems/1', 'Id': '1', 'PowerState': pending === undefined ? power : `Powering${pending.to}` }) };
    }
    const { ResetType } = JSON.parse(request.body ?? '{}') as { ResetType?: string };
    const to = ResetType === 'On' ? 'On' : ResetType === 'ForceOff' ? 'Off' : undefined;
    if (to === undefined) return { status: 400, body: JSON.stringify({ error: { 'code': 'Base.1.8.GeneralError', 'message': 'bad', '@Message.ExtendedInfo': [{ MessageId: 'Base.1.8.ActionParameterNotSupported' }] } }) };
    if (power === to) return { status: 409, body: JSON.stringify({ error: { code: 'Base.1.8.GeneralError', message: `The system is already ${to}.` } }) };
    pending = { to, reads: 2 };
    return { status: 204, body: '' };
  };
  return { transport, log };
}

const target = { baseUrl: 'https://bmc.test', systemId: '1', user: 'admin' };
const clock = () => {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
};

test('redfishDriver() fences a powered host off against the DMTF double, verified by reading back', async () => {
  const double = dmtfDouble('On');
  const driver = redfishDriver(target, { password: new SecretValue('s3cret'), transport: double.transport });
  const { result } = await runFence('off', { driver, ...clock(), pollMs: 100, timeoutMs: 1000 });
  assert.equal(result, { ok: true, action: 'off', power: 'off' });
  assert.equal(double.log, [
    'GET /redfish/v1/Systems/1',
    'POST /redfish/v1/Systems/1/Actions/ComputerSystem.Reset {"ResetType":"ForceOff"}',
    'GET /redfish/v1/Systems/1',
    'GET /redfish/v1/Systems/1',
  ]);
});

test('redfishDriver() reboots through ForceOff then On', async () => {
  const double = dmtfDouble('On');
  const driver = redfishDriver(target, { password: new SecretValue('s3cret'), transport: double.transport });
  const { result } = await runFence('reboot', { driver, ...clock(), pollMs: 100, timeoutMs: 1000 });
  assert.equal(result, { ok: true, action: 'reboot', power: 'on' });
  assert.equal(double.log.filter((l) => l.startsWith('POST')).map((l) => l.split(' ').pop()), ['{"ResetType":"ForceOff"}', '{"ResetType":"On"}']);
});

test('redfishDriver() counts 409 for a host already off as done', async () => {
  const double = dmtfDouble('Off');
  const driver = redfishDriver(target, { password: new SecretValue('s3cret'), transport: double.transport });
  assert.equal(await driver.call('power-off', { signal: new AbortController().signal }), { ok: true });
});

test('redfishDriver() reports refused credentials as auth', async () => {
  const driver = redfishDriver(target, { password: new SecretValue('wrong'), transport: dmtfDouble('On').transport });
  const { result } = await runFence('status', { driver, ...clock() });
  assert.equal(result, { ok: false, action: 'status', failure: { kind: 'auth', message: 'HTTP 401' } });
});

test('redfishDriver() turns a failing transport into unreachable, or timeout once the signal fired, without the password', async () => {
  const transport: RedfishTransport = async (request) => {
    throw new Error(`connect ECONNREFUSED (sent ${request.headers.Authorization})`);
  };
  const driver = redfishDriver(target, { password: new SecretValue('s3cret'), transport });
  const refused = await driver.call('read-state', { signal: new AbortController().signal });
  assert.equal(refused, { ok: false, failure: { kind: 'unreachable', message: 'no answer from https://bmc.test/redfish/v1/Systems/1: connect ECONNREFUSED (sent Basic [redacted])' } });
  const late = await driver.call('read-state', { signal: AbortSignal.abort() });
  assert.is(late.ok ? '' : late.failure.kind, 'timeout');
});

test.run();
