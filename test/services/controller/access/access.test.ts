import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { allows, effectiveRoles, highestProjectRole, roleAtLeast, type Access, type Principal, type Role, type TokenGrant } from '../../../../services/controller/access/access.ts';

function principal(scope: string, roles: Role[], kind: Principal['kind'] = 'user'): Principal {
  return { kind, userId: 'usr_1', userName: 'alice', tokenId: 'tok', scope, roles, expiresAt: null };
}

const OWN: Access = { kind: 'own', how: 'password' };
const TOKEN: Access = { kind: 'token' };
const ADMIN_ONLY: Access = { kind: 'cloud-admin' };
const READ: Access = { kind: 'project', role: 'reader' };
const WRITE: Access = { kind: 'project', role: 'member' };
const MANAGE: Access = { kind: 'project', role: 'admin' };

// [caller, access, :project, expected]
const MATRIX: Record<string, [Principal | undefined, Access, string | undefined, ReturnType<typeof allows>]> = {
  'anyone may call an own route': [undefined, OWN, undefined, 'ok'],
  'no token is unauthenticated on a token route': [undefined, TOKEN, undefined, 'unauthenticated'],
  'no token is unauthenticated on a project route': [undefined, READ, 'prj_a', 'unauthenticated'],
  'any token passes a token route': [principal('', []), TOKEN, undefined, 'ok'],
  'a cloud-admin passes a cloud-admin route': [principal('*', ['cloud-admin']), ADMIN_ONLY, undefined, 'ok'],
  'a project admin is refused a cloud-admin route': [principal('prj_a', ['admin']), ADMIN_ONLY, undefined, 'forbidden'],
  'a cloud-admin passes any project route': [principal('*', ['cloud-admin']), MANAGE, 'prj_b', 'ok'],
  'a reader may read its project': [principal('prj_a', ['reader']), READ, 'prj_a', 'ok'],
  'a reader may not write its project': [principal('prj_a', ['reader']), WRITE, 'prj_a', 'forbidden'],
  'a member may write but not manage': [principal('prj_a', ['member']), MANAGE, 'prj_a', 'forbidden'],
  'an admin may manage its project': [principal('prj_a', ['admin']), MANAGE, 'prj_a', 'ok'],
  "an admin of another project is refused": [principal('prj_b', ['admin']), READ, 'prj_a', 'forbidden'],
  'a personal token is refused project routes': [principal('', []), READ, 'prj_a', 'forbidden'],
  'a project route without a project is refused': [principal('prj_a', ['admin']), READ, undefined, 'forbidden'],
  'an api key acts with its role': [principal('prj_a', ['member'], 'api-key'), WRITE, 'prj_a', 'ok'],
  'an api key is refused above its role': [principal('prj_a', ['reader'], 'api-key'), WRITE, 'prj_a', 'forbidden'],
};

for (const [name, [who, access, project, expected]] of Object.entries(MATRIX)) {
  test(`allows() ${name}`, () => {
    assert.is(allows(access, who, project), expected);
  });
}

const GRANTS: Record<string, [TokenGrant, Role[] | undefined]> = {
  'a cloud token of a cloud-admin stays cloud-admin': [{ scope: '*', tokenRoles: ['cloud-admin'], scopeRole: 'cloud-admin', cloudRole: 'cloud-admin' }, ['cloud-admin']],
  'a cloud token dies with the cloud-admin binding': [{ scope: '*', tokenRoles: ['cloud-admin'], scopeRole: undefined, cloudRole: undefined }, undefined],
  'a personal token carries no roles': [{ scope: '', tokenRoles: [], scopeRole: undefined, cloudRole: undefined }, []],
  'a project token keeps its role while the binding allows it': [{ scope: 'prj_a', tokenRoles: ['member'], scopeRole: 'admin', cloudRole: undefined }, ['member']],
  'a project token is capped by a lowered binding': [{ scope: 'prj_a', tokenRoles: ['admin'], scopeRole: 'reader', cloudRole: undefined }, ['reader']],
  'a project token dies when the membership goes': [{ scope: 'prj_a', tokenRoles: ['admin'], scopeRole: undefined, cloudRole: undefined }, undefined],
  'a cloud-admin is admin of every project': [{ scope: 'prj_a', tokenRoles: ['admin'], scopeRole: undefined, cloudRole: 'cloud-admin' }, ['admin']],
  'a cloud-admin bound as reader still counts as admin': [{ scope: 'prj_a', tokenRoles: ['admin'], scopeRole: 'reader', cloudRole: 'cloud-admin' }, ['admin']],
  'a project token without a role grants nothing': [{ scope: 'prj_a', tokenRoles: [], scopeRole: 'admin', cloudRole: undefined }, undefined],
};

for (const [name, [grant, expected]] of Object.entries(GRANTS)) {
  test(`effectiveRoles() ${name}`, () => {
    assert.equal(effectiveRoles(grant), expected);
  });
}

test('highestProjectRole() picks the strongest project role and ignores cloud-admin', () => {
  assert.is(highestProjectRole(['reader', 'admin', 'member']), 'admin');
  assert.is(highestProjectRole(['cloud-admin']), undefined);
  assert.is(highestProjectRole([]), undefined);
});

test('roleAtLeast() orders reader < member < admin', () => {
  assert.ok(roleAtLeast('admin', 'member'));
  assert.ok(roleAtLeast('member', 'member'));
  assert.not.ok(roleAtLeast('reader', 'member'));
});

test.run();
