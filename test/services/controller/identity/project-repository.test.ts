import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openStore, type Store } from '../../../../appliance/store/index.ts';
import { ProjectRepository } from '../../../../services/controller/identity/project-repository.ts';
import { TokenRepository } from '../../../../services/controller/identity/token-repository.ts';
import { UserRepository } from '../../../../services/controller/identity/user-repository.ts';

const NOW = new Date('2026-03-01T12:00:00Z');
let store: Store;
let projects: ProjectRepository;
let users: UserRepository;

test.before.each(() => {
  store = openStore(':memory:', { create: true });
  projects = new ProjectRepository(store.database);
  users = new UserRepository(store.database);
});
test.after.each(() => store.close());

test('ProjectRepository.find() finds a project by id or by name', () => {
  const made = projects.create({ name: 'web', description: 'the shop' }, NOW);
  assert.match(made.id, /^prj_/);
  assert.equal(projects.find('web'), made);
  assert.equal(projects.find(made.id), made);
  assert.is(projects.find('nope'), undefined);
});

test('ProjectRepository.listForUser() lists the projects a user has a role in, with the role', () => {
  const web = projects.create({ name: 'web', description: '' }, NOW);
  projects.create({ name: 'db', description: '' }, NOW);
  const bob = users.create({ name: 'bob', passwordHash: 'x' }, NOW);
  users.bind(bob.id, { scope: web.id, role: 'reader' }, NOW);
  users.bind(bob.id, { scope: '*', role: 'cloud-admin' }, NOW);
  assert.equal(projects.listForUser(bob.id).map((p) => [p.name, p.role]), [['web', 'reader']]);
  assert.equal(projects.list().map((p) => p.name), ['db', 'web']);
});

test('ProjectRepository.members() lists users with their roles by name', () => {
  const web = projects.create({ name: 'web', description: '' }, NOW);
  for (const [name, role] of [['zoe', 'admin'], ['al', 'member']] as const) users.bind(users.create({ name, passwordHash: 'x' }, NOW).id, { scope: web.id, role }, NOW);
  assert.equal(projects.members(web.id).map((m) => [m.user, m.role]), [['al', 'member'], ['zoe', 'admin']]);
});

test('ProjectRepository.delete() takes the project\'s bindings and tokens with it', () => {
  const web = projects.create({ name: 'web', description: '' }, NOW);
  const db = projects.create({ name: 'db', description: '' }, NOW);
  const bob = users.create({ name: 'bob', passwordHash: 'x' }, NOW);
  users.bind(bob.id, { scope: web.id, role: 'admin' }, NOW);
  users.bind(bob.id, { scope: db.id, role: 'admin' }, NOW);
  const tokens = new TokenRepository(store.database);
  const inWeb = tokens.issue({ kind: 'api-key', userId: bob.id, scope: web.id, roles: ['admin'], expiresAt: null }, NOW);
  const inDb = tokens.issue({ kind: 'api-key', userId: bob.id, scope: db.id, roles: ['admin'], expiresAt: null }, NOW);
  assert.ok(projects.delete(web.id));
  assert.is(projects.find('web'), undefined);
  assert.equal(users.bindings(bob.id).map((b) => b.scope), [db.id]);
  assert.is(tokens.get(inWeb.secret.id), undefined);
  assert.ok(tokens.get(inDb.secret.id));
  assert.not.ok(projects.delete(web.id));
});

test.run();
