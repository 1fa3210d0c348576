import type { Database, Statement } from 'better-sqlite3';
import {
  CONSOLE_JOIN_CODE_DEFAULTS,
  CONSOLE_METHODS,
  CONSOLE_PENDING_LIMIT,
  ConsoleOverviewParams,
  ConsoleOverviewResult,
  FirstAdminParams,
  FirstAdminResult,
  HOST_STATES,
  HostDecideParams,
  HostDecideResult,
  JoinCodeRotateParams,
  JoinCodeRotateResult,
  type HostState,
} from '../../../appliance/contracts/index.ts';
import { defineMethod, type Method } from '../../../appliance/bus/index.ts';
import type { PluginContext } from '../../../appliance/serve/index.ts';
import type { Store } from '../../../appliance/store/index.ts';
import { createCloudAdmin } from '../identity/create-cloud-admin.ts';
import { UserRepository } from '../identity/user-repository.ts';
import type { Actor, HostAdmin } from './host-admin.ts';

// What the local console asks the controller on the appliance's local bus:
// an overview for its main screen, approve/reject of pending hosts, its own
// join code, and the first cloud admin. The ipc socket is mode 0600, so
// reaching it is the authentication; everything the console changes goes
// through the same code (and audit) as the REST API.

/** The description that marks a join token as the console's own; rotation revokes exactly these. */
export const CONSOLE_JOIN_CODE_DESCRIPTION = 'console join code';

/** Who the console is in the audit log and the journal. */
export const CONSOLE_ACTOR: Actor = { actor: 'console', actorKind: 'system', source: 'console' };

interface PendingRow {
  id: string;
  name: string;
  addresses: string;
  since: string;
  approved_by: string | null;
}

interface JoinCodeRow {
  id: string;
  expires_at: string;
  uses: number;
  max_uses: number;
}

/** The overview's queries, prepared once: a handful of COUNT/SELECTs on indexed columns. */
export class ConsoleOverview {
  readonly #users: UserRepository;
  readonly #counts: Statement<[], { state: HostState; n: number }>;
  readonly #pending: Statement<[number], PendingRow>;
  readonly #joinCode: Statement<[string], JoinCodeRow>;
  readonly #consoleCodes: Statement<[string], { id: string }>;

  constructor(db: Database) {
    this.#users = new UserRepository(db);
    this.#counts = db.prepare('SELECT state, count(*) AS n FROM hosts GROUP BY state');
    // A host that never enrolled asked when its record was made; one retired and asking again
    // was last changed about then (approval changes it again, but is the operator's own act).
    this.#pending = db.prepare(`SELECT id, name, addresses, CASE WHEN enrolled_at IS NULL THEN created_at ELSE updated_at END AS since, approved_by
      FROM hosts WHERE state = 'pending' ORDER BY since, id LIMIT ?`);
    this.#joinCode = db.prepare('SELECT id, expires_at, uses, max_uses FROM join_tokens WHERE description = ? AND revoked_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1');
    this.#consoleCodes = db.prepare('SELECT id FROM join_tokens WHERE description = ? AND revoked_at IS NULL ORDER BY created_at, id');
  }

  read(): ConsoleOverviewResult {
    const counts = Object.fromEntries(HOST_STATES.map((s) => [s, 0])) as Record<HostState, number>;
    for (const { state, n } of this.#counts.all()) counts[state] = n;
    const code = this.#joinCode.get(CONSOLE_JOIN_CODE_DESCRIPTION);
    return {
      admins: this.#users.countWithRole('*', 'cloud-admin'),
      hosts: {
        counts,
        pending: this.#pending.all(CONSOLE_PENDING_LIMIT).map((r) => ({ id: r.id, name: r.name, addresses: JSON.parse(r.addresses) as string[], since: r.since, approvedBy: r.approved_by })),
        pendingTotal: counts.pending,
      },
      joinCode: code === undefined ? null : { tokenId: code.id, expiresAt: code.expires_at, uses: code.uses, maxUses: code.max_uses },
    };
  }

  /** Ids of the console's join codes not yet revoked (expired or used up ones included). */
  liveConsoleCodes(): string[] {
    return this.#consoleCodes.all(CONSOLE_JOIN_CODE_DESCRIPTION).map((r) => r.id);
  }
}

export interface ConsoleDeps {
  readonly store: Store;
  readonly admin: HostAdmin;
  readonly overview: ConsoleOverview;
  /** scrypt cost of the first admin's password hash (controller.password_cost). */
  readonly passwordCost: number;
  readonly now: () => Date;
  readonly note: PluginContext['note'];
}

/** controller.console-overview, controller.host-decide, controller.join-code-rotate, controller.first-admin. */
export function consoleBusMethods(deps: ConsoleDeps): Record<string, Method> {
  const { store, admin, overview } = deps;
  return {
    [CONSOLE_METHODS.overview]: defineMethod({
      description: 'The console main screen: how many cloud admins, hosts by state, the oldest pending hosts, and the console join code (never its secret)',
      params: ConsoleOverviewParams,
      result: ConsoleOverviewResult,
      handler: () => overview.read(),
    }),
    [CONSOLE_METHODS.hostDecide]: defineMethod({
      description: 'Approve or reject a pending host, as the console (audited, journalled like `alliance hosts approve|reject`)',
      params: HostDecideParams,
      result: HostDecideResult,
      handler: ({ hostId, decision }) => {
        const host = decision === 'approve' ? admin.approve(hostId, CONSOLE_ACTOR) : admin.reject(hostId, CONSOLE_ACTOR);
        return { host: { id: host.id, name: host.name, state: host.state, approvedBy: host.approvedBy } };
      },
    }),
    [CONSOLE_METHODS.joinCodeRotate]: defineMethod({
      description: `A new console join code (default ${CONSOLE_JOIN_CODE_DEFAULTS.ttlHours} h, ${CONSOLE_JOIN_CODE_DEFAULTS.maxUses} uses); the previous ones stop admitting. The code is in this answer only (audited)`,
      params: JoinCodeRotateParams,
      result: JoinCodeRotateResult,
      handler: ({ ttlHours = CONSOLE_JOIN_CODE_DEFAULTS.ttlHours, maxUses = CONSOLE_JOIN_CODE_DEFAULTS.maxUses }) => {
        // One transaction: a failure leaves the old code in place, never no code at all.
        const { token, code } = store.transaction(() => {
          for (const id of overview.liveConsoleCodes()) admin.revokeJoinToken(id, CONSOLE_ACTOR);
          return admin.createJoinToken({ maxUses, ttlSeconds: ttlHours * 3600, description: CONSOLE_JOIN_CODE_DESCRIPTION }, CONSOLE_ACTOR);
        });
        return { code, tokenId: token.id, expiresAt: token.expiresAt, maxUses: token.maxUses };
      },
    }),
    [CONSOLE_METHODS.firstAdmin]: defineMethod({
      description: 'Create the first cloud admin, as `alliance init --admin` does; refused once any cloud admin exists (audited, the password never)',
      params: FirstAdminParams,
      result: FirstAdminResult,
      handler: async ({ name, password }) => {
        const user = await createCloudAdmin(store, { name, password }, { passwordCost: deps.passwordCost, now: deps.now(), by: CONSOLE_ACTOR, onlyFirst: true });
        deps.note('controller.admin-created', 'info', `Cloud admin ${user.name} created from the console; log in with \`alliance login --user ${user.name}\``, { name: user.name, by: CONSOLE_ACTOR.actor });
        return { name: user.name };
      },
    }),
  };
}
