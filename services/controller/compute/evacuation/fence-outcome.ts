import type { FenceOutcome } from './evacuation-step.ts';

// What a boot.power off call means for evacuation. Only an answer that names
// the host, the off action and power "off" is a confirmed fence; anything else
// (a coded error, a timeout, an answer of another shape) is not. Pure.

/** A boot.power answer as fencing reads it. */
export function fenceOutcomeOfAnswer(hostId: string, answer: unknown): FenceOutcome {
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) return { kind: 'not-fenced', reason: `the boot service answered ${describe(answer)} instead of a power state` };
  const a = answer as Record<string, unknown>;
  if (a.hostId !== undefined && a.hostId !== hostId) return { kind: 'not-fenced', reason: `the boot service answered for host ${JSON.stringify(a.hostId)}, not this one` };
  if (a.action !== undefined && a.action !== 'off') return { kind: 'not-fenced', reason: `the boot service answered a ${JSON.stringify(a.action)} action, not off` };
  if (a.power === 'off') return { kind: 'off' };
  if (typeof a.power === 'string') return { kind: 'not-fenced', reason: `the BMC says power is ${a.power}${typeof a.reason === 'string' ? ` (${a.reason})` : ''}` };
  return { kind: 'not-fenced', reason: 'the boot service answered without a power state' };
}

/** A failed boot.power call (coded error, bus timeout, anything thrown) as fencing reads it. */
export function fenceOutcomeOfError(err: unknown): FenceOutcome {
  if (err instanceof Error || (typeof err === 'object' && err !== null)) {
    const e = err as { code?: unknown; message?: unknown };
    const message = typeof e.message === 'string' && e.message !== '' ? e.message : 'no message';
    return { kind: 'not-fenced', reason: typeof e.code === 'string' ? `${e.code}: ${message}` : message };
  }
  return { kind: 'not-fenced', reason: `the call failed with ${describe(err)}` };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'string' ? `the text "${value.slice(0, 80)}"` : `a ${typeof value}`;
}
