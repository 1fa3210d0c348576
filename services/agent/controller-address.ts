import { isIP } from 'node:net';
import type { DiscoveredNode } from '../../appliance/discovery/index.ts';
import { agentErrors } from './errors.ts';
import { parseHostPort, type HostPort } from './host-port.ts';

/** Where the controller's HTTPS API is to be found, and who said so. */
export type ControllerChoice =
  | { readonly kind: 'fixed'; readonly address: HostPort; readonly source: 'config' | 'cmdline' | 'bootstrap' }
  | { readonly kind: 'mdns' };

export interface ControllerSources {
  /** agent.controller; empty when unset. */
  readonly config: string;
  /** alliance.controller= from the kernel command line, already checked. */
  readonly cmdline?: string | undefined;
  /** The controller this host enrolled with before (bootstrap file). */
  readonly bootstrap?: string | undefined;
}

/**
 * Precedence: agent.controller, then the kernel command line, then the address
 * remembered from a previous enrolment, then mDNS. A malformed agent.controller
 * is a configuration error; the operator said it and must fix it.
 */
export function chooseController(sources: ControllerSources): ControllerChoice {
  if (sources.config !== '') {
    const address = parseHostPort(sources.config);
    if (address === undefined) throw agentErrors.CONTROLLER_INVALID({ address: sources.config, source: 'agent.controller' });
    return { kind: 'fixed', address, source: 'config' };
  }
  for (const source of ['cmdline', 'bootstrap'] as const) {
    const text = sources[source];
    const address = text === undefined ? undefined : parseHostPort(text);
    if (address !== undefined) return { kind: 'fixed', address, source };
  }
  return { kind: 'mdns' };
}

/** An appliance found on mDNS, as the agent will dial it. */
export interface FoundAppliance {
  readonly address: HostPort;
  readonly nodeId: string;
  readonly instance: string;
}

/**
 * The appliance to enrol with among those mDNS shows: role appliance, a TXT
 * record that reads, and an address we can dial (IPv4 first, then global IPv6,
 * then link-local IPv6 with its interface as zone). Ties go by instance name, so
 * every host of a site picks the same one. Undefined when none qualifies.
 */
export function pickAppliance(nodes: readonly DiscoveredNode[]): FoundAppliance | undefined {
  const candidates = nodes
    .filter((n) => n.role === 'appliance' && n.node !== null && n.node.role === 'appliance' && n.node.apiPort >= 1 && n.node.apiPort <= 65535)
    .map((n) => ({ n, host: dialAddress(n) }))
    .filter((c): c is { n: DiscoveredNode & { node: NonNullable<DiscoveredNode['node']> }; host: string } => c.host !== undefined)
    .sort((a, b) => (a.n.instance < b.n.instance ? -1 : a.n.instance > b.n.instance ? 1 : 0));
  const first = candidates[0];
  return first === undefined ? undefined : { address: { host: first.host, port: first.n.node.apiPort }, nodeId: first.n.node.nodeId, instance: first.n.instance };
}

function dialAddress(node: DiscoveredNode): string | undefined {
  const v4 = node.addresses.filter((a) => isIP(a) === 4 && !a.startsWith('169.254.')).sort();
  if (v4[0] !== undefined) return v4[0];
  const v6 = node.addresses.filter((a) => isIP(a) === 6);
  const global = v6.filter((a) => !/^fe[89ab]/i.test(a)).sort();
  if (global[0] !== undefined) return global[0];
  const linkLocal = v6.sort()[0];
  const iface = node.via[0];
  return linkLocal === undefined || iface === undefined ? undefined : `${linkLocal}%${iface}`;
}
