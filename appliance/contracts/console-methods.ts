import { Type, type Static } from '@sinclair/typebox';
import { HOST_STATES, HostStateSchema, type HostState } from './host.ts';

// The methods the controller serves on the appliance's LOCAL bus for the
// console (the TUI on tty1 and the serial line). Reaching the ipc socket
// (mode 0600, root) is the authentication, as for the control socket; the
// console never reads the store.

export const CONSOLE_METHODS = {
  overview: 'controller.console-overview',
  hostDecide: 'controller.host-decide',
  joinCodeRotate: 'controller.join-code-rotate',
  firstAdmin: 'controller.first-admin',
} as const;

/** The pending hosts an overview lists at most (oldest first); pendingTotal counts them all. */
export const CONSOLE_PENDING_LIMIT = 20;

/** What the console's join code is made with when the operator gives nothing else. */
export const CONSOLE_JOIN_CODE_DEFAULTS = { ttlHours: 24, maxUses: 50 } as const;

const Count = Type.Integer({ minimum: 0 });
/** One count per host state, every state present. */
const HostCounts = Type.Object(Object.fromEntries(HOST_STATES.map((state) => [state, Count])) as Record<HostState, typeof Count>);

export const ConsoleOverviewParams = Type.Object({}, { additionalProperties: false });
export type ConsoleOverviewParams = Static<typeof ConsoleOverviewParams>;

/** A host waiting for an operator's decision. */
export const ConsolePendingHostSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  addresses: Type.Array(Type.String()),
  /** ISO time it asked to enrol (for a retired host that asked again: about when it did). */
  since: Type.String(),
  /** The operator who approved it (it enrols on its next request), or null while undecided. */
  approvedBy: Type.Union([Type.String(), Type.Null()]),
});
export type ConsolePendingHost = Static<typeof ConsolePendingHostSchema>;

/** The console's join code as stored: never its secret, which exists only in the answer to controller.join-code-rotate. */
export const ConsoleJoinCodeSchema = Type.Object({
  tokenId: Type.String(),
  expiresAt: Type.String(),
  uses: Count,
  maxUses: Count,
});
export type ConsoleJoinCode = Static<typeof ConsoleJoinCodeSchema>;

export const ConsoleOverviewResult = Type.Object({
  /** Users bound cloud-admin over the whole cloud; 0 means nobody can log in yet (controller.first-admin). */
  admins: Count,
  hosts: Type.Object({
    /** Every host state, zeros included. */
    counts: HostCounts,
    /** Oldest first, at most CONSOLE_PENDING_LIMIT. */
    pending: Type.Array(ConsolePendingHostSchema, { maxItems: CONSOLE_PENDING_LIMIT }),
    pendingTotal: Count,
  }),
  /** The newest unrevoked console join code (it may have expired or be used up: compare expiresAt and uses), or null. */
  joinCode: Type.Union([ConsoleJoinCodeSchema, Type.Null()]),
});
export type ConsoleOverviewResult = Static<typeof ConsoleOverviewResult>;

export const HostDecideParams = Type.Object(
  {
    hostId: Type.String({ minLength: 1, maxLength: 128 }),
    decision: Type.Union([Type.Literal('approve'), Type.Literal('reject')]),
  },
  { additionalProperties: false },
);
export type HostDecideParams = Static<typeof HostDecideParams>;

export const HostDecideResult = Type.Object({
  host: Type.Object({ id: Type.String(), name: Type.String(), state: HostStateSchema, approvedBy: Type.Union([Type.String(), Type.Null()]) }),
});
export type HostDecideResult = Static<typeof HostDecideResult>;

export const JoinCodeRotateParams = Type.Object(
  {
    ttlHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 720, default: CONSOLE_JOIN_CODE_DEFAULTS.ttlHours })),
    maxUses: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: CONSOLE_JOIN_CODE_DEFAULTS.maxUses })),
  },
  { additionalProperties: false },
);
export type JoinCodeRotateParams = Static<typeof JoinCodeRotateParams>;

/** The new code (id.secret): shown once, right after rotation, and never again. */
export const JoinCodeRotateResult = Type.Object({
  code: Type.String(),
  tokenId: Type.String(),
  expiresAt: Type.String(),
  maxUses: Count,
});
export type JoinCodeRotateResult = Static<typeof JoinCodeRotateResult>;

export const FirstAdminParams = Type.Object(
  {
    /** Checked against the user name policy by the controller, so a bad one gets its coded error. */
    name: Type.String({ maxLength: 256 }),
    password: Type.String({ maxLength: 1024 }),
  },
  { additionalProperties: false },
);
export type FirstAdminParams = Static<typeof FirstAdminParams>;

export const FirstAdminResult = Type.Object({ name: Type.String() });
export type FirstAdminResult = Static<typeof FirstAdminResult>;
