import { Type } from '@sinclair/typebox';
import { defineMethod, type Method } from '../../appliance/bus/index.ts';
import type { Store } from '../../appliance/store/index.ts';
import { formatLeaseFile, LeaseDatabase } from './lease-database.ts';
import { parseLeaseHookCall } from './lease-hook.ts';

// The boot service's bus methods. The lease hook (`alliance boot lease-hook`)
// is their caller; what it sends is untrusted, so boot.lease reads the raw
// dnsmasq call again with parseLeaseHookCall before storing anything.

const LeaseSchema = Type.Object({
  ip: Type.String(),
  mac: Type.String(),
  hostname: Type.Union([Type.String(), Type.Null()]),
  clientId: Type.Union([Type.String(), Type.Null()]),
  expiresAt: Type.Integer(),
  interface: Type.Union([Type.String(), Type.Null()]),
  updatedAt: Type.String(),
});

/** dnsmasq's call as the hook received it: its arguments and its DNSMASQ_* variables. */
export const HookCallSchema = Type.Object(
  {
    argv: Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 5 }),
    env: Type.Record(Type.String({ pattern: '^DNSMASQ_[A-Z0-9_]{1,40}$' }), Type.String({ maxLength: 1024 }), { maxProperties: 64, additionalProperties: false }),
  },
  { additionalProperties: false },
);

export interface BootBusDeps {
  readonly store: Store;
  readonly now: () => Date;
}

/** boot.lease (store one lease change, synced before the answer) and boot.leases (the lease file for dnsmasq's init). */
export function bootBusMethods(deps: BootBusDeps): Record<string, Method> {
  const leases = new LeaseDatabase(deps.store.database);
  return {
    'boot.lease': defineMethod({
      description: "Apply one dnsmasq lease hook call (add, old, del; tftp and init change nothing); stored and synced before the answer",
      params: HookCallSchema,
      result: Type.Object({ action: Type.String(), result: Type.Union([Type.Literal('stored'), Type.Literal('removed'), Type.Literal('unchanged')]) }),
      handler: (params) => {
        const event = parseLeaseHookCall(params.argv, params.env);
        const result = deps.store.transaction(() => leases.apply(event, { now: deps.now() }));
        return { action: event.action, result };
      },
    }),
    'boot.leases': defineMethod({
      description: "The appliance's DHCP leases, and dnsmasq's lease file of those still valid (what the hook prints on init)",
      params: Type.Object({}, { additionalProperties: false }),
      result: Type.Object({ leases: Type.Array(LeaseSchema), file: Type.String() }),
      handler: () => {
        const all = leases.list();
        return { leases: all, file: formatLeaseFile(all, deps.now()) };
      },
    }),
  };
}
