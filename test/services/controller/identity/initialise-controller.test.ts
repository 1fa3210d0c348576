import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dataDirLayout } from '../../../../appliance/data-dir/index.ts';
import { isAllianceError } from '../../../../appliance/errors/index.ts';
import type { InitContext } from '../../../../appliance/serve/index.ts';
import { openStore, type Store } from '../../../../appliance/store/index.ts';
import { AuditLog } from '../../../../services/controller/audit/audit-log.ts';
import { initialiseController } from '../../../../services/controller/identity/initialise-controller.ts';
import { verifyPassword } from '../../../../services/controller/identity/password-hash.ts';
import { UserRepository } from '../../../../services/controller/identity/user-repository.ts';
import { controllerModule } from '../../../../services/controller/main.ts';

const NOW = new Date('2026-03-01T12:00:00Z');
let store: Store;

function context(answers: Record<string, string | undefined>): InitContext {
  return { store, layout: dataDirLayout('/nonexistent'), now: NOW, answers };
}

test.before.each(() => {
  store = openStore(':memory:', { create: true });
});
test.after.each(() => store.close());

test('initialiseController() makes the first cloud admin with the password, audited as system/init', async () => {
  const lines = await initialiseController(context({ admin: 'root', password: 'a long admin passphrase' }), { passwordCost: 10 });
  assert.match(lines.join('\n'), /created cloud admin root/);
  const users = new UserRepository(store.database);
  const root = users.find('root')!;
  assert.is(users.role(root.id, '*'), 'cloud-admin');
  assert.ok(await verifyPassword('a long admin passphrase', users.passwordHash('root')!.hash!));
  const [entry] = new AuditLog(store.database, () => NOW).list({ limit: 5 });
  assert.equal([entry!.actor, entry!.actorKind, entry!.action, entry!.source, entry!.target], ['system', 'system', 'users.create', 'init', 'root']);
  assert.equal(store.database.prepare('SELECT count(*) AS n FROM projects').get(), { n: 0 }, 'no project is made');
});

test('initialiseController() leaves an existing user alone and says so', async () => {
  await initialiseController(context({ admin: 'root', password: 'a long admin passphrase' }), { passwordCost: 10 });
  const before = new UserRepository(store.database).passwordHash('root')!.hash;
  const lines = await initialiseController(context({ admin: 'root', password: 'another long passphrase' }), { passwordCost: 10 });
  assert.match(lines.join('\n'), /user root already exists; left unchanged/);
  assert.is(new UserRepository(store.database).passwordHash('root')!.hash, before);
});

test('initialiseController() without --admin creates nobody and says how to', async () => {
  const lines = await initialiseController(context({}), { passwordCost: 10 });
  assert.match(lines.join('\n'), /no users yet.*--admin NAME/);
  assert.equal(new UserRepository(store.database).list(), []);
});

test('initialiseController() refuses a short password and a bad name, creating nothing', async () => {
  for (const [answers, code] of [
    [{ admin: 'root', password: 'short' }, 'APL_CTRL_WEAK_PASSWORD'],
    [{ admin: 'Root Admin', password: 'a long admin passphrase' }, 'APL_CTRL_USER_NAME_INVALID'],
  ] as const) {
    try {
      await initialiseController(context(answers), { passwordCost: 10 });
      assert.unreachable();
    } catch (err) {
      assert.ok(isAllianceError(err, code), String(err));
    }
  }
  assert.equal(new UserRepository(store.database).list(), []);
});

test('controllerModule.initialise() is the controller\'s init step', async () => {
  assert.ok(controllerModule.initialise);
  const lines = await controllerModule.initialise(context({}));
  assert.match(lines.join('\n'), /no users yet/);
});

test.run();
