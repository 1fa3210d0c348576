import { Type } from '@sinclair/typebox';
import type { Database, Statement } from 'better-sqlite3';
import { HostStateSchema, type HostState } from '../../../appliance/contracts/index.ts';
import { defineMethod, type Method } from '../../../appliance/bus/index.ts';
import type { HostAdmin } from './host-admin.ts';

// What the boot service asks the controller on the local bus while machines
// network-boot: which host owns a MAC, which MACs are known (dnsmasq's host
// records), and a join code for a machine it boots into enrolment. MACs are
// matched against the NICs of each host's last inventory.

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const Mac = Type.String({ pattern: MAC.source, description: 'lower case, colon separated' });
const HostByMac = Type.Object({ id: Type.String(), name: Type.String(), state: HostStateSchema });

/** A single-use code is spent by the one enrolment it was minted for; the TTL bounds one that never is. */
export const BOOT_JOIN_TTL_SECONDS = 20 * 60;

interface Row {
  id: string;
  name: string;
  state: HostState;
  mac: string;
}

/** Hosts by the MACs of their inventoried NICs; a retired host loses to any other owner of the MAC, then the newest record wins. */
export class HostsByMac {
  readonly #one: Statement<[string], Row>;
  readonly #all: Statement<[], Row>;

  constructor(db: Database) {
    const select = `SELECT h.id, h.name, h.state, lower(json_extract(n.value, '$.mac')) AS mac
      FROM hosts h, json_each(h.inventory, '$.nics') n WHERE h.inventory IS NOT NULL`;
    const order = `ORDER BY h.state = 'retired', h.updated_at DESC, h.id`;
    this.#one = db.prepare(`${select} AND lower(json_extract(n.value, '$.mac')) = ? ${order} LIMIT 1`);
    this.#all = db.prepare(`${select} ${order}`);
  }

  get(mac: string): Row | undefined {
    return this.#one.get(mac);
  }

  /** One row per MAC, the owner get() would pick. */
  list(): Row[] {
    const owners = new Map<string, Row>();
    for (const row of this.#all.all()) {
      // An agent reports what the kernel says; anything else is not a MAC dnsmasq could match.
      if (!owners.has(row.mac) && MAC.test(row.mac)) owners.set(row.mac, row);
    }
    return [...owners.values()];
  }
}

export interface ProvisioningDeps {
  readonly byMac: HostsByMac;
  readonly admin: HostAdmin;
}

/** controller.host-by-mac, controller.known-macs, controller.boot-join-code. */
export function provisioningBusMethods(deps: ProvisioningDeps): Record<string, Method> {
  const { byMac } = deps;
  return {
    'controller.host-by-mac': defineMethod({
      description: 'The host whose inventory lists this MAC, or null',
      params: Type.Object({ mac: Mac }, { additionalProperties: false }),
      result: Type.Object({ host: Type.Union([HostByMac, Type.Null()]) }),
      handler: ({ mac }) => {
        const row = byMac.get(mac);
        return { host: row === undefined ? null : { id: row.id, name: row.name, state: row.state } };
      },
    }),
    'controller.known-macs': defineMethod({
      description: 'Every MAC a host inventory lists, with the owning host',
      params: Type.Object({}, { additionalProperties: false }),
      result: Type.Object({ macs: Type.Array(Type.Object({ mac: Mac, id: Type.String(), name: Type.String(), state: HostStateSchema })) }),
      handler: () => ({ macs: byMac.list().map(({ mac, id, name, state }) => ({ mac, id, name, state })) }),
    }),
    'controller.boot-join-code': defineMethod({
      description: `A single-use join code for one network-booted machine, valid ${BOOT_JOIN_TTL_SECONDS / 60} minutes (audited)`,
      params: Type.Object({ mac: Mac, address: Type.String({ maxLength: 64 }) }, { additionalProperties: false }),
      result: Type.Object({ code: Type.String(), tokenId: Type.String(), expiresAt: Type.String() }),
      handler: ({ mac, address }) => {
        const { token, code } = deps.admin.createJoinToken(
          { maxUses: 1, ttlSeconds: BOOT_JOIN_TTL_SECONDS, description: `network boot of ${mac}` },
          { actor: 'boot-service', actorKind: 'system', source: address },
        );
        return { code, tokenId: token.id, expiresAt: token.expiresAt };
      },
    }),
  };
}
