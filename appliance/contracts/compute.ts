import { Type, type Static } from '@sinclair/typebox';

// What controller and agent agree an instance is. The controller owns the
// desired state (host.desired carries the instances placed on a host); the
// agent makes it real with libvirt and reports what it observes
// (host.instances); disk images reach the host in chunks over the same bus
// (host.image-chunk), so the agent needs no other credential.

/** A lower-case UUID (crypto.randomUUID()). */
export const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const Uuid = Type.String({ pattern: UUID_PATTERN });
/** A host name label: what cloud-init sets and libvirt names the domain after. */
export const INSTANCE_NAME_PATTERN = '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';

export const IMAGE_FORMATS = ['qcow2', 'raw'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

export const ImageRefSchema = Type.Object(
  {
    id: Uuid,
    format: Type.Union(IMAGE_FORMATS.map((f) => Type.Literal(f))),
    /** SHA-256 of the image file as uploaded, lower-case hex: the agent checks what it fetched. */
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    sizeBytes: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);
export type ImageRef = Static<typeof ImageRefSchema>;

/** What cloud-init inside the instance gets, by the NoCloud seed and the metadata endpoint alike. */
export const InstanceMetadataSchema = Type.Object(
  {
    hostname: Type.String({ pattern: INSTANCE_NAME_PATTERN }),
    /** OpenSSH public key lines of the instance's key pair(s). */
    sshKeys: Type.Array(Type.String({ maxLength: 16_384 }), { maxItems: 32 }),
    /** cloud-config or a script, as the user gave it; at most 64 KiB like EC2. */
    userData: Type.Union([Type.String({ maxLength: 65_536 }), Type.Null()]),
    projectId: Type.String({ maxLength: 64 }),
  },
  { additionalProperties: false },
);
export type InstanceMetadata = Static<typeof InstanceMetadataSchema>;

export const INSTANCE_POWER = ['running', 'stopped'] as const;
export type InstancePower = (typeof INSTANCE_POWER)[number];

/** One instance as the controller wants it on the host it was placed on. */
export const InstanceSpecSchema = Type.Object(
  {
    id: Uuid,
    name: Type.String({ pattern: INSTANCE_NAME_PATTERN }),
    power: Type.Union(INSTANCE_POWER.map((p) => Type.Literal(p))),
    /** Raised by every reboot request: the agent reboots a running domain whose last applied value is lower. */
    rebootGeneration: Type.Integer({ minimum: 0 }),
    vcpus: Type.Integer({ minimum: 1, maximum: 256 }),
    memoryMiB: Type.Integer({ minimum: 64, maximum: 4_194_304 }),
    /** Root disk size; the image is grown to it (never shrunk) when its disk is made. */
    diskGiB: Type.Integer({ minimum: 1, maximum: 65_536 }),
    image: ImageRefSchema,
    metadata: InstanceMetadataSchema,
  },
  { additionalProperties: false },
);
export type InstanceSpec = Static<typeof InstanceSpecSchema>;

/**
 * What the agent sees of an instance: building (disk or domain being made),
 * running, stopped, error (the last attempt failed; `error` says why and the
 * agent retries with back-off), missing (desired but no domain, e.g. after the
 * host rebooted: the agent makes it again).
 */
export const INSTANCE_OBSERVED_STATES = ['building', 'running', 'stopped', 'error', 'missing'] as const;
export type InstanceObservedState = (typeof INSTANCE_OBSERVED_STATES)[number];

export const InstanceReportSchema = Type.Object(
  {
    id: Uuid,
    state: Type.Union(INSTANCE_OBSERVED_STATES.map((s) => Type.Literal(s))),
    error: Type.Union([Type.String({ maxLength: 2048 }), Type.Null()]),
    /** The rebootGeneration last applied. */
    rebootGeneration: Type.Integer({ minimum: 0 }),
    /** The tail of the serial console log (at most 64 KiB), for `alliance instances console-log`. */
    consoleTail: Type.Union([Type.String({ maxLength: 65_536 }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type InstanceReport = Static<typeof InstanceReportSchema>;

/** host.instances: the agent's view of every instance it knows (desired or found), sent after each reconcile that changed something and with each heartbeat round. */
export const InstancesReportParams = Type.Object(
  {
    instances: Type.Array(InstanceReportSchema, { maxItems: 4096 }),
    /** Domains named like ours (alliance-<uuid>) that the controller no longer wants and the agent removed or is removing. */
    removed: Type.Array(Uuid, { maxItems: 4096 }),
  },
  { additionalProperties: false },
);
export type InstancesReportParams = Static<typeof InstancesReportParams>;
export const InstancesReportResult = Type.Object({ accepted: Type.Integer({ minimum: 0 }) });

/**
 * host.image-chunk: one piece of an image file the host's desired state names.
 * Half the bus's default message limit (DEFAULT_MAX_MESSAGE_BYTES, 1 MiB), so
 * a chunk and its envelope always fit in one message.
 */
export const IMAGE_CHUNK_BYTES = 512 * 1024;
export const ImageChunkParams = Type.Object({ imageId: Uuid, offset: Type.Integer({ minimum: 0 }) }, { additionalProperties: false });
export const ImageChunkResult = Type.Object({
  /** At most IMAGE_CHUNK_BYTES; empty at the end of the file. */
  data: Type.Uint8Array({ maxByteLength: IMAGE_CHUNK_BYTES }),
  sizeBytes: Type.Integer({ minimum: 1 }),
});

/** The libvirt domain name of an instance: the prefix marks ours, the rest is the instance id. */
export function domainNameOf(instanceId: string): string {
  return `alliance-${instanceId}`;
}

const UUID = new RegExp(UUID_PATTERN);

/** Whether a string is an instance id (a lower-case UUID). */
export function isInstanceId(text: string): boolean {
  return UUID.test(text);
}

/** The instance id of one of our domain names, or undefined for any other domain. */
export function instanceIdOfDomain(name: string): string | undefined {
  const id = name.startsWith('alliance-') ? name.slice('alliance-'.length) : '';
  return isInstanceId(id) ? id : undefined;
}
