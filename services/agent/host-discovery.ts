import type { Config } from '../../appliance/config/index.ts';
import { interfaceList, openDiscovery, type DiscoveredNode } from '../../appliance/discovery/index.ts';
import type { Logger } from '../../appliance/log/index.ts';
import { hostLabel } from './enrolment-request.ts';

/**
 * The SRV record needs a port, and the TXT record an api port of at least 1,
 * but the agent serves nothing on the network yet: 9 (discard) says so.
 */
export const AGENT_ADVERTISED_PORT = 9;

/** The agent's mDNS: this host advertised, appliances browsed. */
export interface HostDiscovery {
  readonly nodes: () => readonly DiscoveredNode[];
  /** Resolves at the next change of what is visible. */
  readonly changed: () => Promise<void>;
  readonly interfaces: () => readonly string[];
  /** Says goodbye on every interface. */
  close(): Promise<void>;
}

/**
 * Advertises this host as `_alliance-agent._tcp` (role host, its host id in
 * TXT) and browses for appliances; undefined when discovery.enabled is false.
 */
export async function openHostDiscovery(config: Config, options: { hostId: string; hostname: string; version: string; log: Logger }): Promise<HostDiscovery | undefined> {
  if (!config.discovery.enabled) return undefined;
  const log = options.log;
  let waiters: (() => void)[] = [];
  const discovery = await openDiscovery({
    interfaces: interfaceList(config.discovery.interfaces),
    ttl: config.discovery.ttl_s,
    browse: ['appliance'],
    advertise: {
      instance: hostLabel(options.hostname),
      node: { clusterId: '', nodeId: options.hostId, role: 'host', version: options.version, apiPort: AGENT_ADVERTISED_PORT, busPort: 0 },
    },
    onChange: () => {
      const woken = waiters;
      waiters = [];
      for (const wake of woken) wake();
    },
    onWarning: (message) => log.warn(message),
    onRenamed: (from, to) => log.warn({ from, to }, `mDNS name "${from}" is taken on this network; advertising as "${to}"`),
  });
  log.info({ interfaces: discovery.interfaces().map((i) => i.name), instance: discovery.instance() }, 'advertising this host on mDNS');
  return {
    nodes: () => discovery.nodes(),
    changed: () => new Promise<void>((resolve) => waiters.push(resolve)),
    interfaces: () => discovery.interfaces().map((i) => i.name),
    close: () => discovery.close(),
  };
}
