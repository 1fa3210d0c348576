import { Type, type Static } from '@sinclair/typebox';
import { INSTANCE_NAME_PATTERN, UUID_PATTERN } from '../../../appliance/contracts/index.ts';
import { ProjectRef, Timestamp } from '../api/schemas.ts';

// The compute API's shapes: one source for validators, serializers and the OpenAPI document.

const Uuid = Type.String({ pattern: UUID_PATTERN });
const Name = Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$', description: 'lower-case letters, digits, . _ -' });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const FlavorSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  vcpus: Type.Integer(),
  memoryMiB: Type.Integer(),
  diskGiB: Type.Integer(),
  extraSpecs: Type.Record(Type.String(), Type.String()),
  public: Type.Boolean(),
  createdAt: Timestamp,
});
export const NewFlavorBody = Type.Object(
  {
    name: Name,
    vcpus: Type.Integer({ minimum: 1, maximum: 256 }),
    memoryMiB: Type.Integer({ minimum: 64, maximum: 4_194_304 }),
    diskGiB: Type.Integer({ minimum: 1, maximum: 65_536 }),
    extraSpecs: Type.Optional(Type.Record(Type.String({ maxLength: 80 }), Type.String({ maxLength: 80 }), { maxProperties: 32, description: 'trait:NAME = required | forbidden' })),
    public: Type.Optional(Type.Boolean({ description: 'false: only cloud admins may use it (default true)' })),
  },
  { additionalProperties: false },
);
export type NewFlavorBody = Static<typeof NewFlavorBody>;
export const FlavorParams = Type.Object({ flavor: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

export const ImageSchema = Type.Object({
  id: Type.String(),
  projectId: Type.Union([Type.String(), Type.Null()], { description: 'null: public' }),
  name: Type.String(),
  format: Type.String(),
  sha256: Type.String(),
  sizeBytes: Type.Integer(),
  status: Type.String(),
  createdAt: Timestamp,
});
export const ImageUploadQuery = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._ -]*$' }), format: Type.Union([Type.Literal('qcow2'), Type.Literal('raw')]) },
  { additionalProperties: false },
);
export type ImageUploadQuery = Static<typeof ImageUploadQuery>;
export const ImageUploadHeaders = Type.Object({
  'x-image-sha256': Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256 the upload must have (lower-case hex); refused if it differs' })),
});
export const ImageParams = Type.Object({ image: Uuid }, { additionalProperties: false });
export const ProjectImageParams = Type.Object({ project: ProjectRef, image: Uuid }, { additionalProperties: false });

export const KeyPairSchema = Type.Object({ name: Type.String(), publicKey: Type.String(), fingerprint: Type.String(), createdAt: Timestamp });
export const NewKeyPairBody = Type.Object({ name: Name, publicKey: Type.String({ minLength: 1, maxLength: 16_384 }) }, { additionalProperties: false });
export const KeyPairParams = Type.Object({ project: ProjectRef, name: Name }, { additionalProperties: false });

export const ServerGroupSchema = Type.Object({ id: Type.String(), name: Type.String(), policy: Type.String(), createdAt: Timestamp });
export const NewServerGroupBody = Type.Object({ name: Name, policy: Type.Union([Type.Literal('affinity'), Type.Literal('anti-affinity')]) }, { additionalProperties: false });
export const ServerGroupParams = Type.Object({ project: ProjectRef, group: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

export const InstanceSchema = Type.Object({
  id: Type.String(),
  projectId: Type.String(),
  name: Type.String(),
  flavorId: Type.String(),
  imageId: Type.String(),
  hostId: Nullable(Type.String()),
  power: Type.String({ description: 'desired: running | stopped' }),
  rebootGeneration: Type.Integer(),
  state: Type.String({ description: "the controller's view: building, running, stopped, error, deleting" }),
  observedState: Nullable(Type.String()),
  error: Nullable(Type.String()),
  observedAt: Nullable(Timestamp),
  serverGroupId: Nullable(Type.String()),
  keyName: Nullable(Type.String()),
  hasUserData: Type.Boolean(),
  priority: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export const NewInstanceBody = Type.Object(
  {
    name: Type.String({ pattern: INSTANCE_NAME_PATTERN, description: 'a DNS label; the guest host name' }),
    flavor: Type.String({ minLength: 1, maxLength: 64, description: 'flavor name or id' }),
    image: Uuid,
    keyName: Type.Optional(Name),
    userData: Type.Optional(Type.String({ maxLength: 65_536 })),
    serverGroup: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'server group name or id' })),
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    power: Type.Optional(Type.Union([Type.Literal('running'), Type.Literal('stopped')])),
  },
  { additionalProperties: false },
);
export type NewInstanceBody = Static<typeof NewInstanceBody>;
export const InstanceParams = Type.Object({ project: ProjectRef, instance: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

export const InstanceEventSchema = Type.Object({ at: Timestamp, kind: Type.String(), message: Type.String() });
export const ConsoleLogAnswer = Type.Object({ instanceId: Type.String(), consoleTail: Nullable(Type.String()), observedAt: Nullable(Timestamp) });
export const WhyAnswer = Type.Object({
  instanceId: Type.String(),
  decidedAt: Timestamp,
  /** The lines `alliance instances why` prints. */
  explanation: Type.String(),
  decision: Type.Object({
    kind: Type.String(),
    hostId: Type.Optional(Type.String()),
    considered: Type.Integer(),
    rejected: Type.Array(Type.Object({ hostId: Type.String(), hostName: Type.String(), filter: Type.String(), reason: Type.String() })),
  }),
});

const Limits = { instances: Type.Integer({ minimum: 0, maximum: 1_000_000 }), vcpus: Type.Integer({ minimum: 0, maximum: 10_000_000 }), memoryMiB: Type.Integer({ minimum: 0, maximum: 2 ** 40 }) };
export const QuotaBody = Type.Object(Limits, { additionalProperties: false });
export type QuotaBody = Static<typeof QuotaBody>;
export const QuotaAnswer = Type.Object({ projectId: Type.String(), limits: Type.Object(Limits), used: Type.Object(Limits), isDefault: Type.Boolean() });
