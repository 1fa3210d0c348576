import type { DiscoveredNode } from '../discovery/index.ts';

/** The nodes `alliance discover` found, one per line, fitting 80 columns for short names. Pure. */
export function formatDiscovered(nodes: readonly DiscoveredNode[], waitedMs: number, interfaces: readonly string[]): string {
  const where = interfaces.length === 0 ? 'no interface suitable for mDNS' : `mDNS on ${interfaces.join(', ')}`;
  if (nodes.length === 0) {
    return `nothing visible after ${waitedMs} ms (${where}); \`alliance discover --diagnose\` says why\n`;
  }
  const rows = nodes.map((n) => [
    n.instance,
    n.role,
    `${n.addresses[0] ?? n.host}:${n.port}`,
    n.node === null ? '-' : n.node.nodeId.slice(0, 12),
    n.via.join(','),
  ]);
  const header = ['INSTANCE', 'ROLE', 'ADDRESS', 'NODE', 'VIA'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const notes = nodes.filter((n) => n.problem !== undefined).map((n) => `  ${n.instance}: ${n.problem!}`);
  return `${[line(header), ...rows.map(line)].join('\n')}\n${notes.length > 0 ? `${notes.join('\n')}\n` : ''}(${nodes.length} after ${waitedMs} ms, ${where})\n`;
}
