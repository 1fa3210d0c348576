export { decideRestart } from './restart-policy.ts';
export type { RestartDecision, RestartPolicy } from './restart-policy.ts';
export { overallHealth } from './service.ts';
export type { Health, RunningService, ServiceContext, ServiceDefinition, ServiceState, ServiceStatus } from './service.ts';
export { startOrder } from './start-order.ts';
export type { Ordered } from './start-order.ts';
export { Supervisor } from './supervisor.ts';
export type { SupervisorOptions } from './supervisor.ts';
