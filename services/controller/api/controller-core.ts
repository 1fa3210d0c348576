import type { Config } from '../../../appliance/config/index.ts';
import type { Logger } from '../../../appliance/log/index.ts';
import type { Store } from '../../../appliance/store/index.ts';
import { AuditLog } from '../audit/audit-log.ts';
import { UsageLog } from '../audit/usage-log.ts';
import { ProjectRepository } from '../identity/project-repository.ts';
import { Sessions } from '../identity/sessions.ts';
import { SlidingWindowLimiter } from '../identity/sliding-window-limiter.ts';
import { TokenRepository } from '../identity/token-repository.ts';
import { UserRepository } from '../identity/user-repository.ts';

export type Severity = 'info' | 'warning' | 'error';

/** What the controller's features share: the store, its repositories, and the appliance services they need. */
export interface ControllerCore {
  readonly store: Store;
  readonly config: Config['controller'];
  readonly log: Logger;
  readonly now: () => Date;
  /** Records an event in the appliance journal (on disk when it returns). */
  readonly note: (kind: string, severity: Severity, message: string, data: Record<string, unknown>) => void;
  readonly projects: ProjectRepository;
  readonly users: UserRepository;
  readonly tokens: TokenRepository;
  readonly audit: AuditLog;
  readonly usage: UsageLog;
  readonly sessions: Sessions;
  /** Audit rows refusals may write per client address each minute. */
  readonly refusalThrottle: SlidingWindowLimiter;
  /** Runs fn in one IMMEDIATE store transaction (synced on commit) and counts the write. */
  write<T>(fn: () => T): T;
}

export interface ControllerCoreOptions {
  readonly store: Store;
  readonly config: Config['controller'];
  readonly log: Logger;
  readonly now: () => Date;
  readonly note?: ControllerCore['note'];
}

const REFUSALS_AUDITED_PER_MINUTE = 60;

/** Builds the repositories on the store; nothing is written until a request asks. */
export function createControllerCore(options: ControllerCoreOptions): ControllerCore {
  const { store, config, now } = options;
  const db = store.database;
  const projects = new ProjectRepository(db);
  const users = new UserRepository(db);
  const tokens = new TokenRepository(db);
  const audit = new AuditLog(db, now);
  const usage = new UsageLog(db, now);
  const refusalThrottle = new SlidingWindowLimiter({ limit: REFUSALS_AUDITED_PER_MINUTE, windowMs: 60_000 });
  const sessions = new Sessions({
    store,
    users,
    projects,
    tokens,
    audit,
    now,
    refusalThrottle,
    settings: {
      accessTtlS: config.access_token_ttl_s,
      refreshTtlS: config.refresh_token_ttl_s,
      passwordCost: config.password_cost,
      attemptsPerMinute: config.login_attempts_per_minute,
    },
  });
  return {
    store,
    config,
    log: options.log,
    now,
    note: options.note ?? (() => undefined),
    projects,
    users,
    tokens,
    audit,
    usage,
    sessions,
    refusalThrottle,
    write<T>(fn: () => T): T {
      return store.transaction(fn);
    },
  };
}
