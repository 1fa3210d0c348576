import { join } from 'node:path';
import type { ServiceModule } from '../../appliance/serve/index.ts';
import { bootBusMethods } from './boot-bus-methods.ts';
import { bootService } from './boot-service.ts';
import { bootErrors } from './errors.ts';
import { fenceBusMethods } from './fence-bus-methods.ts';
import { runLeaseHook } from './lease-hook-command.ts';

/**
 * The boot service: inside `alliance serve`, dnsmasq (when boot.enabled) and
 * the boot.lease and boot.leases bus methods over the appliance's lease
 * table, and fencing (boot.bmc.set/get/delete, boot.power); as a command, `alliance boot
 * lease-hook ...` (dnsmasq's dhcp-script).
 */
export const bootModule: ServiceModule = {
  name: 'boot',
  plugin: (ctx) => ({
    name: 'boot',
    busMethods: {
      ...bootBusMethods({ store: ctx.store, now: ctx.now }),
      ...fenceBusMethods({ store: ctx.store, now: ctx.now, note: ctx.note, keyFile: join(ctx.layout.root, 'secrets', 'bmc.key') }),
    },
    service: bootService({ config: ctx.config, layout: ctx.layout, nodeId: ctx.identity.nodeId, executable: process.execPath, plugin: ctx }),
  }),
  run: (ctx) => {
    const [sub = ''] = ctx.args;
    if (sub !== 'lease-hook') throw bootErrors.COMMAND_UNKNOWN({ command: sub.slice(0, 40) });
    return runLeaseHook(ctx);
  },
};
