import type { HostState } from '../../../appliance/contracts/index.ts';

// Liveness of enrolled hosts, as pure steps: silence moves a host from active
// to suspect to offline, a heartbeat moves it back. Only these three states
// are about liveness; pending, retired and rejected hosts never move here.

export interface LivenessThresholds {
  /** Silence after which an active host is suspect. */
  readonly suspectAfterMs: number;
  /** Silence after which a host is offline (more than suspectAfterMs). */
  readonly offlineAfterMs: number;
}

export interface LivenessInput {
  readonly state: HostState;
  /** When the controller last heard from the host (or the grace start, see graceLastSeen()). */
  readonly lastSeenMs: number;
}

/**
 * The state a host should be in at `nowMs`, or undefined when it stays as it
 * is. A long gap goes straight to offline rather than through a suspect that
 * nobody saw. Pure.
 */
export function livenessStep(host: LivenessInput, nowMs: number, thresholds: LivenessThresholds): HostState | undefined {
  if (host.state !== 'active' && host.state !== 'suspect' && host.state !== 'offline') return undefined;
  const silence = nowMs - host.lastSeenMs;
  const wanted: HostState = silence >= thresholds.offlineAfterMs ? 'offline' : silence >= thresholds.suspectAfterMs ? 'suspect' : 'active';
  return wanted === host.state ? undefined : wanted;
}

/**
 * The lastSeen a host starts with when the controller (re)starts at
 * `restartMs`. While the controller was down nobody listened, so the silence
 * says nothing about the hosts: counting it would mark every host offline at
 * once after a long restart (and, later, fence or evacuate healthy machines).
 * So each host starts as if last heard at the restart, shifted by its state's
 * threshold so that the state it had is the state it keeps: an active host
 * gets the full suspectAfter, a suspect host the time left until offline, and
 * an offline host stays offline until it speaks. Pure.
 */
export function graceLastSeen(state: HostState, restartMs: number, thresholds: LivenessThresholds): number {
  switch (state) {
    case 'suspect':
      return restartMs - thresholds.suspectAfterMs;
    case 'offline':
      return restartMs - thresholds.offlineAfterMs;
    default:
      return restartMs;
  }
}
