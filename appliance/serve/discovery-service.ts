import { Type, type Static } from '@sinclair/typebox';
import type { Config } from '../config/index.ts';
import { interfaceList, lookupSrvPeers, openDiscovery, parsePeers, peersAsNodes, type DiscoveredNode, type Discovery } from '../discovery/index.ts';
import { describeError } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import type { ServiceDefinition } from '../supervisor/index.ts';

export const DiscoveredNodeSchema = Type.Object({
  instance: Type.String(),
  role: Type.Union([Type.Literal('appliance'), Type.Literal('host')]),
  via: Type.Array(Type.String()),
  host: Type.String(),
  port: Type.Integer(),
  addresses: Type.Array(Type.String()),
  node: Type.Union([
    Type.Null(),
    Type.Object({ clusterId: Type.String(), nodeId: Type.String(), role: Type.String(), version: Type.String(), apiPort: Type.Integer(), busPort: Type.Integer() }),
  ]),
  problem: Type.Optional(Type.String()),
});

export const VisibleNodesSchema = Type.Object({
  /** Our advertised instance name (after any conflict rename); null when discovery is off. */
  instance: Type.Union([Type.String(), Type.Null()]),
  nodes: Type.Array(DiscoveredNodeSchema),
});
export type VisibleNodes = Static<typeof VisibleNodesSchema>;

// DiscoveredNode (readonly) must stay assignable to the wire schema.
type WireNode = Static<typeof DiscoveredNodeSchema>;
const asWire = (nodes: readonly DiscoveredNode[]): WireNode[] => nodes.map((n) => ({ ...n, via: [...n.via], addresses: [...n.addresses] }));

export interface DiscoveryServiceOptions {
  readonly config: Config;
  readonly nodeId: string;
  readonly version: string;
  readonly log: Logger;
  readonly onDrop: (reason: string) => void;
  readonly onChange: (visible: VisibleNodes) => void;
  readonly note: (kind: string, severity: 'info' | 'warning', message: string, data: Record<string, unknown>) => void;
}

/** The bus port others dial, from bus.listen (tls+tcp://host:port); 0 when the bus is local only. */
export function busPortOf(listen: string): number {
  const m = /:(\d{1,5})\/?$/.exec(listen);
  return m === null ? 0 : Number(m[1]);
}

/**
 * Advertises this appliance on mDNS and keeps a list of what is visible: other
 * appliances and hosts (mDNS), plus configured and DNS SRV peers (unicast fallback).
 */
export function discoveryService(options: DiscoveryServiceOptions): { service: ServiceDefinition; visible: () => VisibleNodes } {
  const { config, log } = options;
  let running: Discovery | undefined;
  let unicast: DiscoveredNode[] = [];
  const visible = (): VisibleNodes => ({ instance: running?.instance() ?? null, nodes: asWire([...(running?.nodes() ?? []), ...unicast]) });
  const service: ServiceDefinition = {
    name: 'discovery',
    preflight: () => (config.discovery.enabled ? undefined : 'off by discovery.enabled = false'),
    async start() {
      const svcLog = log.child({ svc: 'discovery' });
      unicast = peersAsNodes(parsePeers(config.discovery.peers), 'config');
      running = await openDiscovery({
        interfaces: interfaceList(config.discovery.interfaces),
        ttl: config.discovery.ttl_s,
        browse: ['appliance', 'host'],
        advertise: {
          instance: config.appliance.name,
          node: { clusterId: '', nodeId: options.nodeId, role: 'appliance', version: options.version, apiPort: config.http.port, busPort: busPortOf(config.bus.listen) },
        },
        onChange: () => options.onChange(visible()),
        onDrop: options.onDrop,
        onWarning: (message) => svcLog.warn(message),
        onRenamed: (from, to) =>
          options.note('discovery.renamed', 'warning', `mDNS name "${from}" is taken on this network; advertising as "${to}" (set appliance.name to choose another)`, { from, to }),
      });
      if (config.discovery.srv_domain !== '') {
        // DNS may be slow or down; the appliance runs without it and says so.
        lookupSrvPeers(config.discovery.srv_domain)
          .then((peers) => {
            unicast = [...unicast, ...peersAsNodes(peers, 'dns-srv')];
            options.onChange(visible());
          })
          .catch((err: unknown) => svcLog.warn({ err: describeError(err) }, 'DNS SRV lookup for peers failed'));
      }
      svcLog.info({ interfaces: running.interfaces().map((i) => i.name), instance: running.instance() }, 'mDNS running');
      return {
        async stop() {
          const d = running;
          running = undefined;
          await d?.close();
        },
      };
    },
  };
  return { service, visible };
}
