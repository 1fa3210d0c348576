// Hosts and enrolment on the controller: hostsFeature() is what main.ts composes.
// The rest is exported for the tests of the pieces.
export { AuditThrottle } from './audit-throttle.ts';
export { CONSOLE_ACTOR, CONSOLE_JOIN_CODE_DESCRIPTION, ConsoleOverview, consoleBusMethods } from './console-bus-methods.ts';
export type { ConsoleDeps } from './console-bus-methods.ts';
export { decideEnrolment } from './enrolment-decision.ts';
export type { EnrolmentDecision, EnrolmentFacts, EnrolmentPolicy } from './enrolment-decision.ts';
export { EnrolmentReplays } from './enrolment-replays.ts';
export { HostLiveness } from './host-liveness.ts';
export type { LivenessTransition } from './host-liveness.ts';
export { HostRepository, toHost } from './host-repository.ts';
export type { HostRecord } from './host-repository.ts';
export type { JoinToken } from './host-schemas.ts';
export { busPortOf, hostsFeature } from './hosts-feature.ts';
export type { HostsContext, HostsFeature } from './hosts-feature.ts';
export { JoinTokenRepository, mintJoinCode } from './join-token-repository.ts';
export { joinTokenState } from './join-token-state.ts';
export type { JoinTokenFacts, JoinTokenState } from './join-token-state.ts';
export { graceLastSeen, livenessStep } from './liveness-step.ts';
export { traitsOf } from './traits.ts';
