import type { Logger } from '../log/index.ts';

/** What the supervisor hands a service when it starts it. */
export interface ServiceContext {
  readonly log: Logger;
  /** Aborted when the service is being stopped. */
  readonly signal: AbortSignal;
  /** Report a failure after start; the supervisor stops and restarts the service per policy. */
  fail(err: unknown): void;
}

export interface RunningService {
  stop(): Promise<void>;
}

export interface ServiceDefinition {
  readonly name: string;
  readonly after?: readonly string[] | undefined;
  /**
   * Why this service must stay off here (needs root, missing hardware, disabled),
   * or undefined to start it. Being off is not a failure of the appliance.
   */
  preflight?(): string | undefined;
  start(ctx: ServiceContext): Promise<RunningService>;
}

export type ServiceState = 'pending' | 'starting' | 'running' | 'off' | 'blocked' | 'failed' | 'restarting' | 'stopping' | 'stopped';

export interface ServiceStatus {
  readonly name: string;
  readonly state: ServiceState;
  /** One line for operators: why it is off, blocked or failed. */
  readonly reason?: string | undefined;
  readonly since: string;
  readonly restarts: number;
}

export type Health = 'ok' | 'degraded' | 'stopping';

/** ok when everything that should run does; services that are off by preflight do not count against it. */
export function overallHealth(statuses: readonly ServiceStatus[]): Health {
  if (statuses.some((s) => s.state === 'stopping' || s.state === 'stopped')) return 'stopping';
  return statuses.every((s) => s.state === 'running' || s.state === 'off') ? 'ok' : 'degraded';
}
