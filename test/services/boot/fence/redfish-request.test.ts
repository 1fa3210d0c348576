import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type DriverOutcome } from '../../../../services/boot/fence/power-driver.ts';
import {
  buildRedfishRequest,
  describeRedfishRequest,
  interpretRedfishResponse,
  type RedfishOperation,
  type RedfishRequest,
  type RedfishResponse,
  type RedfishTarget,
} from '../../../../services/boot/fence/redfish-request.ts';
import { SecretValue } from '../../../../services/boot/fence/secret-value.ts';

const TARGET: RedfishTarget = { baseUrl: 'https://10.0.0.9', systemId: 'System.Embedded.1', user: 'root' };
const PASSWORD = new SecretValue('calvin');
const AUTH = `Basic ${Buffer.from('root:calvin').toString('base64')}`;
const SYSTEM = 'https://10.0.0.9/redfish/v1/Systems/System.Embedded.1';
const POST_HEADERS = { 'Accept': 'application/json', 'Authorization': AUTH, 'OData-Version': '4.0', 'Content-Type': 'application/json' };

const requests: Record<string, [RedfishOperation, RedfishRequest]> = {
  'a state read': ['read-state', { method: 'GET', url: SYSTEM, headers: { 'Accept': 'application/json', 'Authorization': AUTH, 'OData-Version': '4.0' } }],
  'a power off (ForceOff)': ['power-off', { method: 'POST', url: `${SYSTEM}/Actions/ComputerSystem.Reset`, headers: POST_HEADERS, body: '{"ResetType":"ForceOff"}' }],
  'a power on (On)': ['power-on', { method: 'POST', url: `${SYSTEM}/Actions/ComputerSystem.Reset`, headers: POST_HEADERS, body: '{"ResetType":"On"}' }],
  'a forced restart (ForceRestart)': ['force-restart', { method: 'POST', url: `${SYSTEM}/Actions/ComputerSystem.Reset`, headers: POST_HEADERS, body: '{"ResetType":"ForceRestart"}' }],
};
for (const [name, [operation, expected]] of Object.entries(requests)) {
  test(`buildRedfishRequest() builds ${name}`, () => {
    assert.equal(buildRedfishRequest(TARGET, { operation, password: PASSWORD }), expected);
  });
}

test('describeRedfishRequest() leaves the credentials out', () => {
  const text = describeRedfishRequest(buildRedfishRequest(TARGET, { operation: 'power-off', password: PASSWORD }));
  assert.is(text, `POST ${SYSTEM}/Actions/ComputerSystem.Reset {"ResetType":"ForceOff"}`);
});

const refused: Record<string, [RedfishTarget, RegExp]> = {
  'a base URL with a path': [{ ...TARGET, baseUrl: 'https://bmc/redfish' }, /Redfish URL/],
  'a base URL of another scheme': [{ ...TARGET, baseUrl: 'file:///etc' }, /Redfish URL/],
  'a system id that climbs the path': [{ ...TARGET, systemId: '../../AccountService' }, /Redfish system id/],
  'a user with a colon': [{ ...TARGET, user: 'a:b' }, /Redfish user/],
};
for (const [name, [target, message]] of Object.entries(refused)) {
  test(`buildRedfishRequest() refuses ${name}`, () => {
    assert.throws(() => buildRedfishRequest(target, { operation: 'read-state', password: PASSWORD }), message);
  });
}

const system = (state: unknown) => JSON.stringify({ '@odata.id': '/redfish/v1/Systems/1', 'Id': '1', 'PowerState': state });
const error = (message: string, id: string) => JSON.stringify({ error: { 'code': 'Base.1.8.GeneralError', message, '@Message.ExtendedInfo': [{ MessageId: id, Message: message }] } });
const answers: Record<string, [RedfishOperation, RedfishResponse, DriverOutcome]> = {
  'PowerState On': ['read-state', { status: 200, body: system('On') }, { ok: true, power: 'on' }],
  'PowerState Off': ['read-state', { status: 200, body: system('Off') }, { ok: true, power: 'off' }],
  'PowerState PoweringOff as still on': ['read-state', { status: 200, body: system('PoweringOff') }, { ok: true, power: 'on' }],
  'PowerState PoweringOn as on': ['read-state', { status: 200, body: system('PoweringOn') }, { ok: true, power: 'on' }],
  'a missing PowerState': ['read-state', { status: 200, body: system(null) }, { ok: false, failure: { kind: 'failed', message: 'the system has no PowerState the fence understands (null)' } }],
  'a body that is not JSON': ['read-state', { status: 200, body: '<html>' }, { ok: false, failure: { kind: 'failed', message: 'the system has no PowerState the fence understands (undefined)' } }],
  'an unknown system': ['read-state', { status: 404, body: error('The resource was not found.', 'Base.1.8.ResourceMissingAtURI') }, { ok: false, failure: { kind: 'failed', message: 'HTTP 404 reading the system: The resource was not found. Base.1.8.ResourceMissingAtURI' } }],
  'refused credentials': ['read-state', { status: 401, body: '' }, { ok: false, failure: { kind: 'auth', message: 'HTTP 401' } }],
  'a forbidden reset': ['power-off', { status: 403, body: error('Insufficient privilege', 'Base.1.8.InsufficientPrivilege') }, { ok: false, failure: { kind: 'auth', message: 'HTTP 403: Insufficient privilege Base.1.8.InsufficientPrivilege' } }],
  'a reset accepted with 204': ['power-off', { status: 204, body: '' }, { ok: true }],
  'a reset accepted with 200': ['power-on', { status: 200, body: '{}' }, { ok: true }],
  'a reset accepted as a task (202)': ['power-off', { status: 202, body: '{}' }, { ok: true }],
  'a reset answered 409 (already in that state)': ['power-off', { status: 409, body: error('Server is already powered OFF.', 'IDRAC.2.8.PSU501') }, { ok: true }],
  'a reset answered 400 saying already on': ['power-on', { status: 400, body: error('The system is already powered on.', 'Base.1.8.NoOperation') }, { ok: true }],
  'a reset answered 400 for a bad ResetType': [
    'power-off',
    { status: 400, body: error('The value ForceOff for ResetType is not in the list of acceptable values.', 'Base.1.8.ActionParameterNotSupported') },
    { ok: false, failure: { kind: 'failed', message: 'HTTP 400 to ComputerSystem.Reset ForceOff: The value ForceOff for ResetType is not in the list of acceptable values. Base.1.8.ActionParameterNotSupported' } },
  ],
  'a busy BMC (503)': ['power-on', { status: 503, body: '' }, { ok: false, failure: { kind: 'unreachable', message: 'HTTP 503 to ComputerSystem.Reset On' } }],
  'a server error': ['force-restart', { status: 500, body: '' }, { ok: false, failure: { kind: 'failed', message: 'HTTP 500 to ComputerSystem.Reset ForceRestart' } }],
};
for (const [name, [operation, response, outcome]] of Object.entries(answers)) {
  test(`interpretRedfishResponse() reads ${name}`, () => {
    assert.equal(interpretRedfishResponse(operation, response), outcome);
  });
}

test.run();
