// Evacuation of the instances of a failed host: fence first, then move each once.
export { EvacuationRepository } from './evacuation-repository.ts';
export {
  EVACUATION_PHASES,
  evacuationStep,
  fenceBackoffMs,
  nextEvacuationAction,
  unfencedMessage,
  type Evacuation,
  type EvacuationAction,
  type EvacuationEvent,
  type EvacuationPhase,
  type EvacuationStepResult,
  type FenceOutcome,
  type InstanceChange,
  type InstanceFacts,
} from './evacuation-step.ts';
export { EVACUATION_TICK_MS, withEvacuationTimer } from './evacuation-timer.ts';
export { Evacuator, type EvacuatorOptions } from './evacuator.ts';
export { fenceOutcomeOfAnswer, fenceOutcomeOfError } from './fence-outcome.ts';
