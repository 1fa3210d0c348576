import { Type, type Static } from '@sinclair/typebox';
import { InstanceSpecSchema } from './compute.ts';
import { HostHealthSchema, HostLabelsSchema, HostStateSchema, InventorySchema } from './host.ts';

// The bus methods the controller serves to enrolled agents on controller.listen
// (tls+tcp, client certificate from the cluster CA required). Every call
// carries the host's credential (BusClientOptions.credential): the TLS layer
// says "a host of this cluster", the credential says which one.

export const HOST_METHODS = {
  heartbeat: 'host.heartbeat',
  inventory: 'host.inventory',
  desired: 'host.desired',
  /** The agent's report of its instances (compute.ts InstancesReportParams). */
  instances: 'host.instances',
  /** One chunk of an image the host's desired state names (compute.ts ImageChunkParams). */
  imageChunk: 'host.image-chunk',
} as const;

const Addresses = Type.Array(Type.String({ maxLength: 64 }), { maxItems: 64 });

export const HeartbeatParams = Type.Object(
  {
    health: HostHealthSchema,
    addresses: Addresses,
    agentVersion: Type.String({ maxLength: 64 }),
    /** SHA-256 of the agent's inventory; a change tells the controller to expect host.inventory. */
    inventoryHash: Type.String({ maxLength: 64 }),
  },
  { additionalProperties: false },
);
export type HeartbeatParams = Static<typeof HeartbeatParams>;

/** The answer to a heartbeat: the state the controller holds, and whether it wants the inventory again. */
export const HeartbeatResult = Type.Object({
  state: HostStateSchema,
  sendInventory: Type.Boolean(),
  /** Seconds until the next heartbeat is due. */
  intervalSeconds: Type.Integer({ minimum: 1 }),
});
export type HeartbeatResult = Static<typeof HeartbeatResult>;

export const InventoryParams = Type.Object({ inventory: InventorySchema }, { additionalProperties: false });
export const InventoryResult = Type.Object({ traits: Type.Array(Type.String()) });

/** Desired state for a host; grows with compute, network and storage. Agents apply it and nothing else. */
export const DesiredParams = Type.Object({}, { additionalProperties: false });
export const DesiredResult = Type.Object({
  generation: Type.Integer({ minimum: 0 }),
  state: HostStateSchema,
  labels: HostLabelsSchema,
  /** The instances placed on this host, whatever their power state; a domain of ours not listed here is removed. */
  instances: Type.Array(InstanceSpecSchema, { maxItems: 4096 }),
});
export type DesiredResult = Static<typeof DesiredResult>;
