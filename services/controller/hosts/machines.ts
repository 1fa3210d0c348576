import type { HostState } from '../../../appliance/contracts/index.ts';
import type { Machine } from './host-schemas.ts';

// The machines of the provisioning network as an operator sees them: every
// DHCP lease the boot service holds, with the host that owns the MAC, so a
// machine shows up the moment it asks for an address, long before its agent
// enrols (or when it never does).

/** A lease as boot.leases answers it (expiresAt in epoch seconds, 0 for never). */
export interface LeaseView {
  readonly ip: string;
  readonly mac: string;
  readonly hostname: string | null;
  readonly expiresAt: number;
  readonly updatedAt: string;
}

export interface MacOwner {
  readonly id: string;
  readonly name: string;
  readonly state: HostState;
}

/** Leases joined with their owners, most recently seen first. Pure. */
export function machinesOf(leases: readonly LeaseView[], ownerOf: (mac: string) => MacOwner | undefined): Machine[] {
  return [...leases]
    .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || a.mac.localeCompare(b.mac))
    .map((lease) => {
      const owner = ownerOf(lease.mac.toLowerCase());
      return {
        mac: lease.mac,
        address: lease.ip,
        hostname: lease.hostname,
        leaseExpiresAt: lease.expiresAt === 0 ? 'never' : new Date(lease.expiresAt * 1000).toISOString(),
        seenAt: lease.updatedAt,
        host: owner === undefined ? null : { id: owner.id, name: owner.name, state: owner.state },
      };
    });
}
