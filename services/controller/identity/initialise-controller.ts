import type { InitContext } from '../../../appliance/serve/index.ts';
import { controllerErrors } from '../errors.ts';
import { USER_NAME_PATTERN } from '../../../appliance/contracts/index.ts';
import { createCloudAdmin } from './create-cloud-admin.ts';
import { UserRepository } from './user-repository.ts';

export interface InitialiseControllerOptions {
  /** scrypt cost for the first admin's hash; a later login rehashes if the config says otherwise. */
  readonly passwordCost: number;
}

/**
 * `alliance init --admin NAME`: the first cloud-admin, with a password and a
 * cloud-wide binding. No project is made: the admin creates projects. Running
 * it again leaves an existing user alone. Without --admin, nothing is
 * created: the REST API has no way to make the first user, so with no users
 * every login fails until this or the console (controller.first-admin on the
 * local bus) makes one.
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

  await createCloudAdmin(ctx.store, { name, password: ctx.answers.password ?? '' }, {
    passwordCost: options.passwordCost,
    now: ctx.now,
    by: { actor: 'system', actorKind: 'system', source: 'init' },
    onlyFirst: false,
  });
  return [`controller   created cloud admin ${name}; log in with \`alliance login --user ${name}\``];
}
