import type { InitContext } from '../../../appliance/serve/index.ts';
import { AuditLog } from '../audit/audit-log.ts';
import { controllerErrors } from '../errors.ts';
import { checkPasswordPolicy, hashPassword } from './password-hash.ts';
import { UserRepository } from './user-repository.ts';

export const USER_NAME_PATTERN = /^[a-z0-9][a-z0-9._@-]{0,63}$/;

export interface InitialiseControllerOptions {
  /** scrypt cost for the first admin's hash; a later login rehashes if the config says otherwise. */
  readonly passwordCost: number;
}

/**
 * `alliance init --admin NAME`: the first cloud-admin, with a password and a
 * cloud-wide binding. No project is made: the admin creates projects. Running
 * it again leaves an existing user alone. Without --admin, nothing is
 * created: the API has no way to make the first user, so with no users every
 * login fails.
 */
export async function initialiseController(ctx: InitContext, options: InitialiseControllerOptions): Promise<string[]> {
  const db = ctx.store.database;
  const users = new UserRepository(db);
  const name = ctx.answers.admin;
  if (name === undefined) {
    return users.list().length === 0 ? ['controller   no users yet; create the first cloud admin with `alliance init --admin NAME`'] : [];
  }
  if (!USER_NAME_PATTERN.test(name)) throw controllerErrors.USER_NAME_INVALID({ name });
  if (users.find(name) !== undefined) return [`controller   user ${name} already exists; left unchanged`];

  const password = ctx.answers.password ?? '';
  checkPasswordPolicy(password);
  const hash = await hashPassword(password, { cost: options.passwordCost });
  const audit = new AuditLog(db, () => ctx.now);
  ctx.store.transaction(() => {
    const user = users.create({ name, passwordHash: hash }, ctx.now);
    users.bind(user.id, { scope: '*', role: 'cloud-admin' }, ctx.now);
    audit.record({ actor: 'system', actorKind: 'system', action: 'users.create', target: name, source: 'init', outcome: 'ok', detail: { role: 'cloud-admin', scope: '*' } });
  });
  return [`controller   created cloud admin ${name}; log in with \`alliance login --user ${name}\``];
}
