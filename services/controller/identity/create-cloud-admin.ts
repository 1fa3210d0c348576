import { USER_NAME_PATTERN } from '../../../appliance/contracts/index.ts';
import type { Store } from '../../../appliance/store/index.ts';
import { AuditLog, type AuditEntry } from '../audit/audit-log.ts';
import { controllerErrors } from '../errors.ts';
import { checkPasswordPolicy, hashPassword } from './password-hash.ts';
import { UserRepository, type User } from './user-repository.ts';

export interface CreateCloudAdminOptions {
  /** scrypt cost (log2 N) of the password hash. */
  readonly passwordCost: number;
  readonly now: Date;
  /** Who creates it, for the audit log. */
  readonly by: Pick<AuditEntry, 'actor' | 'actorKind' | 'source'>;
  /** Refuse when any cloud-admin exists (checked again inside the write, so two callers cannot both pass). */
  readonly onlyFirst: boolean;
}

/**
 * A user with a password and a cloud-wide cloud-admin binding, audited as
 * users.create (the password is in neither the audit detail nor any message).
 * `alliance init --admin` and the console's controller.first-admin both make
 * their admin here.
 * @throws AllianceError APL_CTRL_USER_NAME_INVALID, APL_CTRL_WEAK_PASSWORD,
 *   APL_CTRL_ADMIN_EXISTS (onlyFirst), APL_CTRL_USER_EXISTS
 */
export async function createCloudAdmin(store: Store, input: { name: string; password: string }, options: CreateCloudAdminOptions): Promise<User> {
  const users = new UserRepository(store.database);
  const { name } = input;
  if (!USER_NAME_PATTERN.test(name)) throw controllerErrors.USER_NAME_INVALID({ name });
  // Cheap refusals before the (deliberately slow) hash; both are checked again below.
  refuseIfTaken(users, name, options.onlyFirst);
  checkPasswordPolicy(input.password);
  const hash = await hashPassword(input.password, { cost: options.passwordCost });
  const audit = new AuditLog(store.database, () => options.now);
  return store.transaction(() => {
    refuseIfTaken(users, name, options.onlyFirst);
    const user = users.create({ name, passwordHash: hash }, options.now);
    users.bind(user.id, { scope: '*', role: 'cloud-admin' }, options.now);
    audit.record({ ...options.by, action: 'users.create', target: name, outcome: 'ok', detail: { role: 'cloud-admin', scope: '*' } });
    return user;
  });
}

function refuseIfTaken(users: UserRepository, name: string, onlyFirst: boolean): void {
  if (onlyFirst) {
    const admins = users.countWithRole('*', 'cloud-admin');
    if (admins > 0) throw controllerErrors.ADMIN_EXISTS({ count: admins });
  }
  if (users.find(name) !== undefined) throw controllerErrors.USER_EXISTS({ user: name });
}
