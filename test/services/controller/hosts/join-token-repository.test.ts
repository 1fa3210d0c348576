import { rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { joinSecretKey, parseJoinCode } from '../../../../appliance/contracts/index.ts';
import type { Store } from '../../../../appliance/store/index.ts';
import { EnrolmentReplays, JoinTokenRepository, mintJoinCode } from '../../../../services/controller/hosts/index.ts';
import { Clock, testContext } from './_support/hosts-fixtures.ts';

let store: Store;
let dir = '';
let tokens: JoinTokenRepository;

test.before.each(() => {
  const t = testContext({ now: new Clock().now });
  store = t.store;
  dir = t.dir;
  tokens = new JoinTokenRepository(store.database);
});

test.after.each(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const createdAt = '2026-03-01T12:00:00.000Z';
const expiresAt = '2026-03-02T12:00:00.000Z';

function create(maxUses = 2): string {
  const minted = mintJoinCode();
  store.transaction(() => tokens.create({ id: minted.id, secretHash: minted.secretHash, description: 'rack 4', maxUses, createdBy: 'admin', createdAt, expiresAt }));
  return minted.id;
}

test('mintJoinCode() makes a code parseJoinCode() reads back, and the hash is joinSecretKey() of its secret', () => {
  const minted = mintJoinCode();
  const parsed = parseJoinCode(minted.code);
  assert.ok(parsed);
  assert.is(parsed.id, minted.id);
  assert.is(parsed.secret, minted.secret);
  assert.is(minted.secretHash, joinSecretKey(minted.secret).toString('hex'));
  assert.is.not(mintJoinCode().id, minted.id);
});

test('JoinTokenRepository.create() stores only the hash of the secret', () => {
  const minted = mintJoinCode();
  store.transaction(() => tokens.create({ id: minted.id, secretHash: minted.secretHash, description: '', maxUses: 1, createdBy: 'admin', createdAt, expiresAt }));
  const dump = JSON.stringify(store.database.prepare('SELECT * FROM join_tokens').all());
  assert.not.ok(dump.includes(minted.secret));
  assert.ok(dump.includes(minted.secretHash));
});

test('JoinTokenRepository.get() and list() read tokens back', () => {
  const id = create();
  assert.equal(tokens.get(id), { id, secretHash: tokens.get(id)!.secretHash, description: 'rack 4', maxUses: 2, uses: 0, createdBy: 'admin', createdAt, expiresAt, revokedAt: null });
  assert.equal(tokens.list().map((t) => t.id), [id]);
  assert.is(tokens.get('missing'), undefined);
});

test('JoinTokenRepository.use() counts uses up to max_uses and no further', () => {
  const id = create(2);
  assert.ok(tokens.use(id, createdAt));
  assert.ok(tokens.use(id, createdAt));
  assert.not.ok(tokens.use(id, createdAt));
  assert.is(tokens.get(id)!.uses, 2);
});

test('JoinTokenRepository.use() refuses an expired or revoked token', () => {
  const expired = create();
  assert.not.ok(tokens.use(expired, expiresAt));
  const revoked = create();
  assert.ok(tokens.revoke(revoked, createdAt));
  assert.not.ok(tokens.use(revoked, createdAt));
  assert.is(tokens.get(revoked)!.uses, 0);
});

test('JoinTokenRepository.revoke() keeps the first revocation time', () => {
  const id = create();
  assert.ok(tokens.revoke(id, '2026-03-01T12:30:00.000Z'));
  assert.not.ok(tokens.revoke(id, '2026-03-01T13:00:00.000Z'));
  assert.is(tokens.get(id)!.revokedAt, '2026-03-01T12:30:00.000Z');
});

test('EnrolmentReplays remembers a signature until it expires, and purge() forgets expired ones only', () => {
  const replays = new EnrolmentReplays(store.database);
  replays.remember('sig-a', '2026-03-01T12:05:00.000Z');
  replays.remember('sig-b', '2026-03-01T12:10:00.000Z');
  assert.ok(replays.seen('sig-a', '2026-03-01T12:04:59.999Z'));
  assert.not.ok(replays.seen('sig-a', '2026-03-01T12:05:00.000Z'), 'expired');
  assert.not.ok(replays.seen('sig-c', '2026-03-01T12:00:00.000Z'));
  assert.is(replays.purge('2026-03-01T12:06:00.000Z'), 1);
  assert.equal(store.database.prepare('SELECT signature_hash FROM enrolment_replays').pluck().all(), ['sig-b']);
});

test.run();
