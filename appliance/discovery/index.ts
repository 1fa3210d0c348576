export { openDiscovery, type Discovery, type DiscoveryOptions } from './discovery.ts';
export type { DiscoveredNode } from './instances.ts';
export type { DropReason } from './mdns-transport.ts';
export { SERVICE_TYPES, hostNameOf, type Advertisement } from './records.ts';
export { encodeTxt, decodeTxt, type AdvertisedNode, type NodeRole } from './txt.ts';
export { lookupSrvPeers, parsePeers, peersAsNodes, type PeerAddress, type SrvLookup } from './unicast-peers.ts';
export { diagnose, formatFindings, type Finding } from './diagnose.ts';
export { gatherNetworkFacts } from './network-facts.ts';
export { interfaceList } from './network-interfaces.ts';
