import type { PlacementDecision } from './placement/index.ts';

/** One line for an impossible placement: how many hosts each filter turned away, e.g. "3 hosts considered: memory 2, maintenance 1". Pure. */
export function rejectionSummary(decision: PlacementDecision): string {
  if (decision.considered === 0 && decision.rejected.length === 0) return 'no enrolled host has reported an inventory yet';
  const counts = new Map<string, number>();
  for (const r of decision.rejected) counts.set(r.filter, (counts.get(r.filter) ?? 0) + 1);
  const parts = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([filter, n]) => `${filter} ${n}`);
  const hosts = Math.max(decision.considered, decision.rejected.length);
  return `${hosts} host${hosts === 1 ? '' : 's'} considered, rejected by ${parts.join(', ') || 'no filter'}`;
}
