import { plural } from './_amounts.ts';
import type { HostRejection, PlacementDecision } from './placement-types.ts';

// The text of `alliance instances why ID`: one line per filter that refused
// hosts, then the host chosen and why (or that none could be). Pure.

export interface FormatRejectionsOptions {
  /** Add one indented line per rejected host under its filter's line. */
  readonly everyHost?: boolean;
}

const LABELS: Record<string, string> = {
  'state': 'not active',
  'maintenance': 'in maintenance',
  'excluded': 'excluded by the request',
  'traits': 'traits do not match',
  'affinity': 'not where the affinity group is',
  'anti-affinity': 'hold a member of the anti-affinity group',
  'vcpus': 'not enough vCPUs',
  'memory': 'not enough memory',
  'disk': 'not enough disk',
  'reserve': 'would eat into the evacuation reserve',
};
const ORDER = Object.keys(LABELS);
// Filters whose figures matter more than a count: show one host's reason.
const WITH_EXAMPLE = new Set(['affinity', 'anti-affinity', 'vcpus', 'memory', 'disk', 'reserve']);
// Filters whose summaries are the point (states, traits): always break down.
const WITH_BREAKDOWN = new Set(['state', 'traits']);

const name = (r: HostRejection) => (r.hostName === r.hostId || r.hostName === '' ? r.hostId : `${r.hostName} (${r.hostId})`);

function groupLine(filter: string, group: readonly HostRejection[]): string {
  const counts = new Map<string, number>();
  for (const r of group) {
    const key = r.summary ?? r.reason;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const parts: string[] = [];
  if (counts.size > 1 || WITH_BREAKDOWN.has(filter)) {
    const sorted = [...counts].sort(([a, m], [b, n]) => n - m || (a < b ? -1 : a > b ? 1 : 0));
    parts.push(sorted.map(([key, count]) => `${key} ${count}`).join(', '));
  }
  const first = group[0]!;
  if (WITH_EXAMPLE.has(filter)) parts.push(`e.g. ${name(first)}: ${first.reason}`);
  return `${plural(group.length, 'host')}: ${LABELS[filter] ?? filter}${parts.length > 0 ? ` (${parts.join('; ')})` : ''}`;
}

/** The lines for `alliance instances why`, joined with newlines. */
export function formatRejections(decision: PlacementDecision, options: FormatRejectionsOptions = {}): string {
  const byFilter = new Map<string, HostRejection[]>();
  for (const r of decision.rejected) {
    const group = byFilter.get(r.filter);
    if (group === undefined) byFilter.set(r.filter, [r]);
    else group.push(r);
  }
  // Known filters in the order they run, then any others by name.
  const rank = (f: string) => (ORDER.includes(f) ? ORDER.indexOf(f) : ORDER.length);
  const filters = [...byFilter.keys()].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));

  const lines = [`${plural(decision.considered, 'host')} considered, ${decision.rejected.length} rejected`];
  for (const filter of filters) {
    const group = byFilter.get(filter)!;
    lines.push(groupLine(filter, group));
    if (options.everyHost === true) for (const r of group) lines.push(`  ${name(r)}: ${r.reason}`);
  }
  if (decision.kind === 'impossible') {
    lines.push('no host can take the instance');
  } else {
    const chosen = decision.hostName === undefined || decision.hostName === decision.hostId ? decision.hostId : `${decision.hostName} (${decision.hostId})`;
    lines.push(`placed on ${chosen}, weight ${decision.score.toFixed(3)}${decision.why === undefined ? '' : `: ${decision.why}`}`);
  }
  return lines.join('\n');
}
