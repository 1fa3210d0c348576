import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AllianceError } from '../../../appliance/errors/index.ts';
import { NngError } from '../../../appliance/bus/index.ts';
import { afterHeartbeat, classifyCallFailure, INITIAL_SESSION, type SessionState } from '../../../services/agent/heartbeat-decision.ts';

const answer = (over: Partial<{ state: 'active' | 'suspect' | 'retired' | 'rejected' | 'offline'; sendInventory: boolean; intervalSeconds: number }> = {}) => ({ state: 'active' as const, sendInventory: false, intervalSeconds: 5, ...over });
const sent: SessionState = { hostState: 'active', sentInventoryHash: 'h1' };

const steps: Record<string, [SessionState, ReturnType<typeof answer>, string, { sendInventory: boolean; fetchDesired: boolean; reenrol: boolean; nextInMs: number }]> = {
  'the first answer fetches desired state': [INITIAL_SESSION, answer(), '', { sendInventory: true, fetchDesired: true, reenrol: false, nextInMs: 5000 }],
  'a steady state does nothing but wait': [sent, answer(), 'h1', { sendInventory: false, fetchDesired: false, reenrol: false, nextInMs: 5000 }],
  'the controller asks for the inventory': [sent, answer({ sendInventory: true }), 'h1', { sendInventory: true, fetchDesired: false, reenrol: false, nextInMs: 5000 }],
  'our inventory changed': [sent, answer(), 'h2', { sendInventory: true, fetchDesired: false, reenrol: false, nextInMs: 5000 }],
  'the state moved': [sent, answer({ state: 'suspect' }), 'h1', { sendInventory: false, fetchDesired: true, reenrol: false, nextInMs: 5000 }],
  'retired: enrol again': [sent, answer({ state: 'retired' }), 'h1', { sendInventory: false, fetchDesired: true, reenrol: true, nextInMs: 5000 }],
  'rejected: enrol again': [sent, answer({ state: 'rejected' }), 'h1', { sendInventory: false, fetchDesired: true, reenrol: true, nextInMs: 5000 }],
  'an absurd interval is bounded above': [sent, answer({ intervalSeconds: 86_400 }), 'h1', { sendInventory: false, fetchDesired: false, reenrol: false, nextInMs: 600_000 }],
  'a zero interval is one second': [sent, answer({ intervalSeconds: 0 }), 'h1', { sendInventory: false, fetchDesired: false, reenrol: false, nextInMs: 1000 }],
};
test('afterHeartbeat(): a host that runs instances fetches desired state every round, steady or not', () => {
  for (const result of [answer(), answer({ sendInventory: true }), answer({ state: 'suspect' })]) {
    assert.ok(afterHeartbeat(sent, result, { inventoryHash: 'h1', runsInstances: true }).fetchDesired, JSON.stringify(result));
  }
});

for (const [name, [state, result, hash, expected]] of Object.entries(steps)) {
  test(`afterHeartbeat(): ${name}`, () => {
    const step = afterHeartbeat(state, result, { inventoryHash: hash, runsInstances: false });
    assert.equal({ sendInventory: step.sendInventory, fetchDesired: step.fetchDesired, reenrol: step.reenrol, nextInMs: step.nextInMs }, expected);
    assert.is(step.state.hostState, result.state);
    assert.is(step.state.sentInventoryHash, state.sentInventoryHash);
  });
}

const coded = (code: string) => new AllianceError(code, { status: 500, exit: 1, message: 'm' }, {});
const failures: Record<string, [unknown, ReturnType<typeof classifyCallFailure>]> = {
  'no answer in time': [coded('APL_BUS_DEADLINE'), 'unreachable'],
  'an unusable address': [coded('APL_BUS_UNREACHABLE'), 'unreachable'],
  'an nng error': [new NngError(6, 'dial', () => 'connection refused'), 'unreachable'],
  'a plain error': [new Error('boom'), 'unreachable'],
  'the controller does not know the method': [coded('APL_BUS_UNKNOWN_METHOD'), 'failed'],
  'the controller failed': [coded('APL_BUS_HANDLER_FAILED'), 'failed'],
  "the controller's credential refusal": [coded('APL_HOSTS_UNKNOWN_CREDENTIAL'), 'refused'],
  'a host the controller does not know': [coded('APL_HOSTS_UNKNOWN_HOST'), 'refused'],
  'some other controller error': [coded('APL_STORE_BUSY'), 'failed'],
};
for (const [name, [err, expected]] of Object.entries(failures)) test(`classifyCallFailure(): ${name} is ${expected}`, () => assert.is(classifyCallFailure(err), expected));

test.run();
