import { Type, type Static } from '@sinclair/typebox';
import { HostSchema, HostStateSchema } from '../../../appliance/contracts/index.ts';

// Schemas of the hosts and join-token routes: one source for validation,
// serialisation (undeclared fields never leave) and the OpenAPI document.

export const HostIdParams = Type.Object({ host: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z2-7]+$', description: 'the full host id' }) });
export type HostIdParams = Static<typeof HostIdParams>;

export const HostsQuery = Type.Object({ state: Type.Optional(HostStateSchema) }, { additionalProperties: false });
export type HostsQuery = Static<typeof HostsQuery>;

export const HostAnswer = Type.Object({ host: HostSchema });
export const HostsAnswer = Type.Object({ hosts: Type.Array(HostSchema) });

/** A machine the boot service leased an address to, and the host that owns its MAC, if any. */
export const MachineSchema = Type.Object({
  mac: Type.String(),
  address: Type.String(),
  hostname: Type.Union([Type.String(), Type.Null()]),
  leaseExpiresAt: Type.String(),
  seenAt: Type.String(),
  host: Type.Union([Type.Object({ id: Type.String(), name: Type.String(), state: HostStateSchema }), Type.Null()]),
});
export type Machine = Static<typeof MachineSchema>;
export const MachinesAnswer = Type.Object({ machines: Type.Array(MachineSchema) });

export const LabelsPatch = Type.Object(
  {
    // Null first: with type coercion on, a string branch tried first would turn null into "".
    labels: Type.Record(Type.String({ pattern: '^[a-z0-9]([a-z0-9._/-]{0,62}[a-z0-9])?$' }), Type.Union([Type.Null(), Type.String({ maxLength: 256 })]), {
      maxProperties: 64,
      additionalProperties: false,
      description: 'labels to set; null removes one',
    }),
  },
  { additionalProperties: false },
);
export type LabelsPatch = Static<typeof LabelsPatch>;

const JOIN_TOKEN_STATES = ['usable', 'expired', 'revoked', 'exhausted'] as const;

const JoinTokenSchema = Type.Object({
  id: Type.String(),
  description: Type.String(),
  maxUses: Type.Integer(),
  uses: Type.Integer(),
  state: Type.Union(JOIN_TOKEN_STATES.map((s) => Type.Literal(s))),
  createdBy: Type.String(),
  createdAt: Type.String(),
  expiresAt: Type.String(),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});
export type JoinToken = Static<typeof JoinTokenSchema>;

export const JoinTokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9]+$' }) });
export type JoinTokenParams = Static<typeof JoinTokenParams>;

const DEFAULT_JOIN_TOKEN_TTL_S = 86_400;

export const CreateJoinTokenBody = Type.Object(
  {
    uses: Type.Integer({ minimum: 1, maximum: 100_000, default: 1, description: 'hosts the token may admit' }),
    ttlSeconds: Type.Integer({ minimum: 60, maximum: 365 * 86_400, default: DEFAULT_JOIN_TOKEN_TTL_S, description: 'seconds until the token expires' }),
    description: Type.String({ maxLength: 256, default: '' }),
  },
  { additionalProperties: false },
);
export type CreateJoinTokenBody = Static<typeof CreateJoinTokenBody>;

export const CreatedJoinToken = Type.Object({
  joinToken: JoinTokenSchema,
  /** id.secret: shown once, give it to the hosts (alliance.join= on the kernel command line, or agent.join_code_file). */
  code: Type.String(),
});
export const JoinTokenAnswer = Type.Object({ joinToken: JoinTokenSchema });
export const JoinTokensAnswer = Type.Object({ joinTokens: Type.Array(JoinTokenSchema) });
