import { Type, type Static } from '@sinclair/typebox';

// What controller, agent, CLI and console agree a host is. The controller owns
// the records; agents report into them; nobody else writes them.

export const HOST_STATES = ['pending', 'active', 'suspect', 'offline', 'retired', 'rejected'] as const;
export type HostState = (typeof HOST_STATES)[number];
export const HostStateSchema = Type.Union(HOST_STATES.map((s) => Type.Literal(s)));

const Text = (maxLength: number) => Type.String({ maxLength });

/** Hardware as the agent found it (systeminformation); bounded so a lying agent cannot bloat the store. */
export const InventorySchema = Type.Object(
  {
    system: Type.Object({ vendor: Text(128), model: Text(128), serial: Text(128), uuid: Text(64) }),
    cpu: Type.Object({
      model: Text(256),
      vendor: Text(64),
      sockets: Type.Integer({ minimum: 0, maximum: 64 }),
      cores: Type.Integer({ minimum: 0, maximum: 4096 }),
      threads: Type.Integer({ minimum: 0, maximum: 8192 }),
      flags: Type.Array(Text(32), { maxItems: 512 }),
      /** vmx or svm: the CPU can run KVM guests. */
      virtualization: Type.Boolean(),
    }),
    memory: Type.Object({ totalBytes: Type.Integer({ minimum: 0 }) }),
    disks: Type.Array(
      Type.Object({ name: Text(128), model: Text(128), serial: Text(128), sizeBytes: Type.Integer({ minimum: 0 }), rotational: Type.Boolean(), type: Text(32) }),
      { maxItems: 256 },
    ),
    nics: Type.Array(
      Type.Object({
        name: Text(32),
        mac: Text(32),
        speedMbps: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
        link: Type.Boolean(),
        virtual: Type.Boolean(),
        addresses: Type.Array(Text(64), { maxItems: 64 }),
      }),
      { maxItems: 256 },
    ),
    /** PCI devices of interest only (FC HBAs, GPUs): rare resources placement must know about. */
    pci: Type.Array(
      Type.Object({ kind: Type.Union([Type.Literal('gpu'), Type.Literal('fc-hba')]), vendor: Text(128), model: Text(256), bus: Text(32) }),
      { maxItems: 256 },
    ),
    os: Type.Object({ hostname: Text(253), kernel: Text(128), distro: Text(128), arch: Text(32) }),
  },
  { additionalProperties: false },
);
export type Inventory = Static<typeof InventorySchema>;

/** What a heartbeat says besides "alive". */
export const HostHealthSchema = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
    problems: Type.Array(Text(256), { maxItems: 32 }),
    load1: Type.Number({ minimum: 0 }),
    memoryUsedBytes: Type.Integer({ minimum: 0 }),
    uptimeSeconds: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type HostHealth = Static<typeof HostHealthSchema>;

const Labels = Type.Record(Type.String({ pattern: '^[a-z0-9]([a-z0-9._/-]{0,62}[a-z0-9])?$' }), Text(256), { maxProperties: 64 });

/** A host as the REST API, the CLI and the console show it. */
export const HostSchema = Type.Object({
  id: Type.String({ description: 'the node id of the host key: base32 SHA-256 of its Ed25519 public key' }),
  name: Type.String(),
  state: HostStateSchema,
  addresses: Type.Array(Type.String()),
  labels: Labels,
  traits: Type.Array(Type.String()),
  inventory: Type.Union([InventorySchema, Type.Null()]),
  health: Type.Union([HostHealthSchema, Type.Null()]),
  agentVersion: Type.String(),
  certificateNotAfter: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  enrolledAt: Type.Union([Type.String(), Type.Null()]),
  /** Who approved a pending host (it collects its certificate on its next request), or null. */
  approvedBy: Type.Union([Type.String(), Type.Null()]),
  lastHeartbeatAt: Type.Union([Type.String(), Type.Null()]),
});
export type Host = Static<typeof HostSchema>;
export { Labels as HostLabelsSchema };
