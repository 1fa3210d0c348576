import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decideEnrolment, type EnrolmentDecision, type EnrolmentFacts, type EnrolmentPolicy } from '../../../../services/controller/hosts/index.ts';

const policy: EnrolmentPolicy = { maxSkewMs: 300_000, unknownHosts: 'pending', maxPending: 10 };

/** A first, authentic request without a token: every case changes what it needs. */
const base: EnrolmentFacts = { signatureValid: true, skewMs: 1_000, replayed: false, joinToken: 'none', proofValid: false, existing: undefined, pendingCount: 0 };
const withToken = (joinToken: EnrolmentFacts['joinToken'], proofValid = true): Partial<EnrolmentFacts> => ({ joinToken, proofValid });
const host = (state: NonNullable<EnrolmentFacts['existing']>['state'], approved = false): Partial<EnrolmentFacts> => ({ existing: { state, approved } });

const admitByToken: EnrolmentDecision = { kind: 'admit', consumeToken: true, controllerProof: true, reason: 'join-token' };
const refuse = (code: string): EnrolmentDecision => ({ kind: 'refuse', code }) as EnrolmentDecision;

const cases: Record<string, { facts: Partial<EnrolmentFacts>; policy?: Partial<EnrolmentPolicy>; expected: EnrolmentDecision }> = {
  'keeps a new host without a token pending': { facts: {}, expected: { kind: 'pending', reason: 'new' } },
  'admits a new host with a usable token and a valid proof, using the token once': { facts: withToken('usable'), expected: admitByToken },
  'refuses a forged signature before anything else': { facts: { signatureValid: false, ...withToken('usable') }, expected: refuse('BAD_SIGNATURE') },
  'refuses a forged signature of an enrolled host': { facts: { signatureValid: false, ...host('active') }, expected: refuse('BAD_SIGNATURE') },
  'refuses a replayed request': { facts: { replayed: true, ...withToken('usable') }, expected: refuse('REPLAYED') },
  'refuses a replayed request of an enrolled host': { facts: { replayed: true, ...host('active') }, expected: refuse('REPLAYED') },
  'refuses a timestamp older than the allowed skew': { facts: { skewMs: 300_001 }, expected: refuse('STALE_REQUEST') },
  'accepts a timestamp exactly at the allowed skew': { facts: { skewMs: 300_000 }, expected: { kind: 'pending', reason: 'new' } },
  'refuses a timestamp that does not parse': { facts: { skewMs: Number.NaN }, expected: refuse('STALE_REQUEST') },
  'refuses a stale request before saying it is a replay': { facts: { skewMs: 400_000, replayed: true }, expected: refuse('STALE_REQUEST') },
  'refuses an unknown join token': { facts: withToken('unknown', false), expected: refuse('UNKNOWN_JOIN_TOKEN') },
  'refuses a bad proof for a usable token': { facts: withToken('usable', false), expected: refuse('BAD_JOIN_PROOF') },
  'refuses a bad proof before telling that the token expired': { facts: withToken('expired', false), expected: refuse('BAD_JOIN_PROOF') },
  'refuses an expired token': { facts: withToken('expired'), expected: refuse('JOIN_TOKEN_EXPIRED') },
  'refuses a revoked token': { facts: withToken('revoked'), expected: refuse('JOIN_TOKEN_REVOKED') },
  'refuses an exhausted token': { facts: withToken('exhausted'), expected: refuse('JOIN_TOKEN_USED_UP') },
  'refuses a new host without a token when the policy refuses unknown hosts': { facts: {}, policy: { unknownHosts: 'refuse' }, expected: refuse('UNKNOWN_HOST_REFUSED') },
  'admits a new host with a token even when the policy refuses unknown hosts': { facts: withToken('usable'), policy: { unknownHosts: 'refuse' }, expected: admitByToken },
  'refuses a new host without a token when max pending is reached': { facts: { pendingCount: 10 }, expected: refuse('TOO_MANY_PENDING') },
  'keeps a new host pending one below max pending': { facts: { pendingCount: 9 }, expected: { kind: 'pending', reason: 'new' } },
  'refuses every new host without a token when max pending is 0': { facts: {}, policy: { maxPending: 0 }, expected: refuse('TOO_MANY_PENDING') },
  'admits a new host with a token when max pending is reached': { facts: { pendingCount: 10, ...withToken('usable') }, expected: admitByToken },
  'refuses a rejected host': { facts: host('rejected'), expected: refuse('REJECTED') },
  'refuses a rejected host even with a usable token': { facts: { ...host('rejected'), ...withToken('usable') }, expected: refuse('REJECTED') },
  'puts a retired host back to pending': { facts: host('retired'), expected: { kind: 'pending', reason: 'retired' } },
  'puts a retired host with a usable token back to pending (a token does not undo a retirement)': {
    facts: { ...host('retired'), ...withToken('usable') },
    expected: { kind: 'pending', reason: 'retired' },
  },
  'refuses a retired host when max pending is reached': { facts: { ...host('retired'), pendingCount: 10 }, expected: refuse('TOO_MANY_PENDING') },
  're-issues to an active host without using a token': { facts: host('active'), expected: { kind: 'admit', consumeToken: false, controllerProof: false, reason: 're-enrolment' } },
  're-issues to an active host retrying with its exhausted token, with a controller proof and no second use': {
    facts: { ...host('active'), ...withToken('exhausted') },
    expected: { kind: 'admit', consumeToken: false, controllerProof: true, reason: 're-enrolment' },
  },
  're-issues to an active host whose token was deleted, without a controller proof': {
    facts: { ...host('active'), ...withToken('unknown', false) },
    expected: { kind: 'admit', consumeToken: false, controllerProof: false, reason: 're-enrolment' },
  },
  're-issues to a suspect host': { facts: host('suspect'), expected: { kind: 'admit', consumeToken: false, controllerProof: false, reason: 're-enrolment' } },
  're-issues to an offline host': { facts: host('offline'), expected: { kind: 'admit', consumeToken: false, controllerProof: false, reason: 're-enrolment' } },
  'keeps an unapproved pending host waiting': { facts: host('pending'), expected: { kind: 'pending', reason: 'waiting' } },
  'keeps an unapproved pending host waiting even when the policy now refuses unknown hosts': {
    facts: host('pending'),
    policy: { unknownHosts: 'refuse' },
    expected: { kind: 'pending', reason: 'waiting' },
  },
  'admits an approved pending host on its next request': { facts: host('pending', true), expected: { kind: 'admit', consumeToken: false, controllerProof: false, reason: 'approved' } },
  'admits a pending host that brings a usable token': { facts: { ...host('pending'), ...withToken('usable') }, expected: admitByToken },
  'refuses a pending host that brings a revoked token': { facts: { ...host('pending'), ...withToken('revoked') }, expected: refuse('JOIN_TOKEN_REVOKED') },
};

for (const [behaviour, { facts, policy: overrides, expected }] of Object.entries(cases)) {
  test(`decideEnrolment() ${behaviour}`, () => {
    assert.equal(decideEnrolment({ ...base, ...facts }, { ...policy, ...overrides }), expected);
  });
}

test.run();
