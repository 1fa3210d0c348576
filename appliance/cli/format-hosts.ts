import type { Host } from '../contracts/index.ts';
import { shortNodeId } from '../identity/index.ts';
import { formatFields, formatTable } from './format-table.ts';

// Text for `alliance hosts` and `alliance join-tokens`. Pure: the clock is passed in.

/** A join token as GET /api/v1/join-tokens shows it. */
export interface JoinTokenView {
  readonly id: string;
  readonly description: string;
  readonly maxUses: number;
  readonly uses: number;
  readonly state: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
}

/** What to do about a host in this state, for the STATE column. */
export function hostStateText(host: Pick<Host, 'id' | 'state' | 'approvedBy'>): string {
  if (host.state !== 'pending') return host.state;
  if (host.approvedBy !== null) return 'pending - approved, enrols on its next request';
  return `pending - approve with \`alliance hosts approve ${shortNodeId(host.id)}\``;
}

/** One line per host: ID (short), NAME, STATE, ADDRESS, CPU cores, MEMORY, TRAITS, LAST SEEN. */
export function formatHostList(hosts: readonly Host[], now: Date): string {
  return formatTable(
    ['id', 'name', 'state', 'address', 'cpu', 'memory', 'traits', 'last seen'],
    hosts.map((h) => [
      shortNodeId(h.id),
      h.name,
      hostStateText(h),
      h.addresses[0] ?? '-',
      h.inventory === null ? '-' : String(h.inventory.cpu.cores),
      h.inventory === null ? '-' : formatBytes(h.inventory.memory.totalBytes),
      h.traits.length === 0 ? '-' : h.traits.join(','),
      formatAgo(h.lastHeartbeatAt, now),
    ]),
    { empty: 'no hosts' },
  );
}

/** A machine that network-booted, as GET /api/v1/machines answers it. */
export interface MachineView {
  readonly mac: string;
  readonly address: string;
  readonly hostname: string | null;
  readonly seenAt: string;
  readonly host: { readonly id: string; readonly name: string; readonly state: string } | null;
}

/** `alliance hosts machines`: what asked the boot service for an address, and which host it is. */
export function formatMachineList(machines: readonly MachineView[], now: Date): string {
  return formatTable(
    ['mac', 'address', 'hostname', 'host', 'state', 'last seen'],
    machines.map((m) => [m.mac, m.address, m.hostname ?? '-', m.host === null ? '-' : `${shortNodeId(m.host.id)} ${m.host.name}`, m.host?.state ?? 'not enrolled', formatAgo(m.seenAt, now)]),
    { empty: 'no machine has asked the boot service for an address' },
  );
}

/** One host with its inventory, for `alliance hosts show`. */
export function formatHost(host: Host, now: Date): string {
  const fields: [string, string][] = [
    ['host', host.id],
    ['name', host.name],
    ['state', hostStateText(host)],
    ...(host.approvedBy === null ? [] : ([['approved by', host.approvedBy]] as [string, string][])),
    ['addresses', host.addresses.join(', ') || '-'],
    ['labels', Object.entries(host.labels).map(([k, v]) => `${k}=${v}`).join(', ') || '-'],
    ['traits', host.traits.join(', ') || '-'],
    ['agent', host.agentVersion || '-'],
    ['created', host.createdAt],
    ['enrolled', host.enrolledAt ?? 'not yet'],
    ['last seen', host.lastHeartbeatAt === null ? 'never' : `${formatAgo(host.lastHeartbeatAt, now)} (${host.lastHeartbeatAt})`],
    ['certificate', host.certificateNotAfter === null ? 'none' : `valid until ${host.certificateNotAfter}`],
  ];
  if (host.health !== null) {
    const h = host.health;
    fields.push(['health', `${h.status}, load ${h.load1.toFixed(2)}, ${formatBytes(h.memoryUsedBytes)} memory used, up ${formatSeconds(h.uptimeSeconds)}`]);
    for (const problem of h.problems) fields.push(['problem', problem]);
  }
  let text = formatFields(fields);
  const inv = host.inventory;
  if (inv === null) return `${text}\nno inventory reported yet\n`;
  text += '\n';
  text += formatFields([
    ['system', [inv.system.vendor, inv.system.model].filter(Boolean).join(' ') + (inv.system.serial ? ` (serial ${inv.system.serial})` : '')],
    ['cpu', `${inv.cpu.model}: ${inv.cpu.sockets} socket(s), ${inv.cpu.cores} cores, ${inv.cpu.threads} threads, virtualization ${inv.cpu.virtualization ? 'yes' : 'no'}`],
    ['memory', formatBytes(inv.memory.totalBytes)],
    ['os', `${inv.os.distro}, kernel ${inv.os.kernel}, ${inv.os.arch}, hostname ${inv.os.hostname}`],
  ]);
  text += '\nDisks\n' + formatTable(['name', 'model', 'size', 'kind'], inv.disks.map((d) => [d.name, d.model, formatBytes(d.sizeBytes), d.rotational ? 'hdd' : 'ssd']), { empty: 'none' });
  text +=
    '\nNetwork\n' +
    formatTable(
      ['name', 'mac', 'speed', 'link', 'addresses'],
      inv.nics.map((n) => [n.name + (n.virtual ? ' (virtual)' : ''), n.mac, n.speedMbps === null ? '-' : formatSpeed(n.speedMbps), n.link ? 'up' : 'down', n.addresses.join(', ')]),
      { empty: 'none' },
    );
  if (inv.pci.length > 0) text += '\nDevices\n' + formatTable(['kind', 'vendor', 'model', 'bus'], inv.pci.map((p) => [p.kind, p.vendor, p.model, p.bus]));
  return text;
}

/** One line per join token: ID, STATE, USES, EXPIRES, CREATED BY, DESCRIPTION. */
export function formatJoinTokenList(tokens: readonly JoinTokenView[], now: Date): string {
  return formatTable(
    ['id', 'state', 'uses', 'expires', 'created by', 'description'],
    tokens.map((t) => [t.id, t.state, `${t.uses}/${t.maxUses}`, formatUntil(t.expiresAt, now), t.createdBy, t.description]),
    { empty: 'no join tokens' },
  );
}

/** The answer to `join-tokens create`: the code, once, and where it goes. */
export function formatJoinTokenCreated(created: { joinToken: JoinTokenView; code: string }, now: Date): string {
  const t = created.joinToken;
  return (
    `join code (shown only now; anyone holding it can enrol a host):\n\n  ${created.code}\n\n` +
    `token ${t.id}: ${t.maxUses} use(s), expires ${formatUntil(t.expiresAt, now)} (${t.expiresAt})\n` +
    `give it to hosts as alliance.join=${created.code} on the kernel command line, or in agent.join_code_file\n`
  );
}

/** 1536 -> "1.5 KiB", 384 GiB -> "384 GiB": binary units, one decimal below 10. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown = unit === 0 || value >= 10 ? String(Math.round(value)) : value.toFixed(1).replace(/\.0$/, '');
  return `${shown} ${units[unit]}`;
}

/** How long ago an ISO time was: "4s ago", "3m ago", "2h ago", "5d ago"; "never" for null. */
export function formatAgo(iso: string | null, now: Date): string {
  if (iso === null) return 'never';
  const seconds = Math.floor((now.getTime() - Date.parse(iso)) / 1000);
  if (!Number.isFinite(seconds)) return 'unknown';
  if (seconds < 0) return 'just now';
  return `${compact(seconds)} ago`;
}

/** How long until an ISO time: "in 23h", or "expired" once past. */
export function formatUntil(iso: string, now: Date): string {
  const seconds = Math.floor((Date.parse(iso) - now.getTime()) / 1000);
  if (!Number.isFinite(seconds)) return 'unknown';
  return seconds <= 0 ? 'expired' : `in ${compact(seconds)}`;
}

function compact(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

function formatSeconds(seconds: number): string {
  return compact(Math.max(0, Math.floor(seconds)));
}

function formatSpeed(mbps: number): string {
  return mbps >= 1000 && mbps % 1000 === 0 ? `${mbps / 1000} Gbit/s` : `${mbps} Mbit/s`;
}
