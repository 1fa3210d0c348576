import { existsSync } from 'node:fs';
import { BusClient } from '../../appliance/bus/index.ts';
import { isAllianceError } from '../../appliance/errors/index.ts';
import type { CommandContext } from '../../appliance/serve/index.ts';
import { bootErrors } from './errors.ts';
import { parseLeaseHookCall, type HookEnvironment } from './lease-hook.ts';
import { leaseSpoolDir, spoolLeaseCall } from './lease-spool.ts';

// `alliance boot lease-hook ACTION ...`: dnsmasq's dhcp-script, through the
// wrapper DnsmasqProcess writes. The call is read (and refused when it is not
// dnsmasq's) here, then handed to the running appliance over its local bus,
// which stores it before answering; `init` prints the appliance's leases.
// dnsmasq runs hooks one at a time, so an unreachable appliance fails fast,
// and a lease change it could not take is spooled on disk for the boot
// service to replay (dnsmasq has already told the client yes).

/** How long the hook waits for the appliance. */
export const LEASE_HOOK_TIMEOUT_MS = 3_000;

/** Only dnsmasq's own variables go to the appliance. */
export function dnsmasqEnvironment(env: HookEnvironment): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith('DNSMASQ_') && value !== undefined) picked[name] = value;
  }
  return picked;
}

export async function runLeaseHook(ctx: Pick<CommandContext, 'args' | 'env' | 'layout' | 'out' | 'log'>, now: () => Date = () => new Date()): Promise<number> {
  const argv = ctx.args.slice(1);
  const env = dnsmasqEnvironment(ctx.env);
  const event = parseLeaseHookCall(argv, env);
  try {
    return await handOver(ctx, event.action, argv, env);
  } catch (err) {
    if (!isAllianceError(err) || err.code !== 'APL_BOOT_HOOK_APPLIANCE_DOWN' || !['add', 'old', 'del'].includes(event.action)) throw err;
    const file = spoolLeaseCall(leaseSpoolDir(ctx.layout.root), { argv, env }, now());
    ctx.log.warn({ err: err.message, file }, 'the appliance is down: lease change kept on disk, the boot service applies it when it starts');
    return 0;
  }
}

async function handOver(ctx: Pick<CommandContext, 'layout' | 'out'>, action: string, argv: readonly string[], env: Record<string, string>): Promise<number> {
  const socket = ctx.layout.busSocket;
  const down = (reason: string, cause?: unknown) => bootErrors.HOOK_APPLIANCE_DOWN({ dataDir: ctx.layout.root, reason }, cause === undefined ? undefined : { cause });
  if (!existsSync(socket)) throw down(`its bus socket ${socket} does not exist`);
  let client: BusClient;
  try {
    client = await BusClient.connect(`ipc://${socket}`, { timeoutMs: LEASE_HOOK_TIMEOUT_MS });
  } catch (err) {
    throw down(`cannot connect to ${socket} (${(err as Error).message})`, err);
  }
  try {
    if (action === 'init') {
      const { file } = await client.call<{ file: string }>('boot.leases', {});
      ctx.out(file);
    } else {
      await client.call('boot.lease', { argv, env });
    }
    return 0;
  } catch (err) {
    // The appliance's own refusal (APL_BOOT_*) is passed on as it is; anything else means it could not answer.
    if (isAllianceError(err) && err.code.startsWith('APL_BOOT_')) throw err;
    throw down(isAllianceError(err) ? `${err.message} [${err.code}]` : (err as Error).message, err);
  } finally {
    client.close();
  }
}
