import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createApiServer } from '../../appliance/api/index.ts';
import type { Config } from '../../appliance/config/index.ts';
import type { HostState } from '../../appliance/contracts/index.ts';
import type { DataDirLayout } from '../../appliance/data-dir/index.ts';
import { describeError, isAllianceError } from '../../appliance/errors/index.ts';
import { readCertificateFacts } from '../../appliance/identity/index.ts';
import type { Logger } from '../../appliance/log/index.ts';
import type { PluginContext } from '../../appliance/serve/index.ts';
import type { ServiceDefinition } from '../../appliance/supervisor/index.ts';
import type { BootDecision } from './boot-decision.ts';
import { bootHttpRoutes } from './boot-http-routes.ts';
import { DEBIAN_BOOT_FILES } from './dnsmasq-config.ts';
import { DnsmasqProcess, type DnsmasqProcessOptions } from './dnsmasq-process.ts';
import { hostRecordsOf, type KnownMac } from './host-records.ts';
import { IPXE_CHAIN_PATH } from './ipxe-script.ts';
import { leaseSpoolDir, readLeaseSpool, removeSpooled, type SpooledCall } from './lease-spool.ts';

export interface BootServiceOptions {
  readonly config: Config;
  readonly layout: DataDirLayout;
  /** The node id: names the run directory, so two appliances on one machine do not share it. */
  readonly nodeId: string;
  /** The `alliance` executable dnsmasq's hook runs (the built executable: process.execPath). */
  readonly executable: string;
  /** The appliance's bus and journal: the controller is asked about hosts over the bus, never imported. */
  readonly plugin: Pick<PluginContext, 'call' | 'note'>;
  /** How often dnsmasq's host records are brought up to date with the controller's hosts. */
  readonly hostSyncMs?: number;
}

const DNSMASQ_PATHS = ['/usr/sbin/dnsmasq', '/usr/bin/dnsmasq', '/sbin/dnsmasq'];
const HOST_SYNC_MS = 10_000;
const BOOT_BODY_LIMIT = 1024;

/** The boot service's run directory: per node, so two appliances on one machine do not share it. */
export function bootRunDir(nodeId: string): string {
  return join('/run/alliance-boot', nodeId.slice(0, 16).toLowerCase());
}

/**
 * dnsmasq's part of DnsmasqProcessOptions from the boot settings. Its run
 * directory is under /run, not the data directory: dnsmasq drops to nobody
 * and must still read the hosts directory and the TFTP root, and the data
 * directory is 0700. Pure.
 */
export function dnsmasqOptions(options: Omit<BootServiceOptions, 'plugin'>): Omit<DnsmasqProcessOptions, 'onLog' | 'onState'> {
  const { boot } = options.config;
  const mode =
    boot.mode === 'dhcp'
      ? { kind: 'dhcp' as const, rangeStart: boot.range_start, rangeEnd: boot.range_end, netmask: boot.netmask, leaseSeconds: boot.lease_s }
      : { kind: 'proxy' as const, subnet: boot.range_start, netmask: boot.netmask };
  return {
    runDir: bootRunDir(options.nodeId),
    spec: {
      interface: boot.interface,
      serverAddress: boot.server_address,
      mode,
      httpPort: boot.http_port,
      ipxePath: IPXE_CHAIN_PATH,
      tftpRoot: boot.tftp_root,
      bootFiles: DEBIAN_BOOT_FILES,
      // Under admit, unknown machines are answered like under discover; the iPXE endpoint tells them apart.
      unknownMacs: boot.unknown_hosts === 'ignore' ? 'ignore' : 'discover',
    },
    hook: { executable: options.executable, args: ['boot', 'lease-hook', `--data-dir=${options.layout.root}`, '--'] },
  };
}

/**
 * The boot service, off unless boot.enabled, as root, with dnsmasq installed:
 * the iPXE endpoint on boot.server_address:boot.http_port, dnsmasq on
 * boot.interface (supervised), and dnsmasq's host records kept in step with
 * the controller's hosts.
 */
export function bootService(options: BootServiceOptions): ServiceDefinition {
  const { config, plugin } = options;
  const { boot } = config;
  return {
    name: 'boot',
    after: ['bus'],
    preflight() {
      if (!boot.enabled) return 'boot.enabled is false';
      if (process.getuid?.() !== 0) return 'dnsmasq needs root (DHCP port 67, raw sockets)';
      const binary = DNSMASQ_PATHS.find((p) => existsSync(p));
      if (binary === undefined) return 'dnsmasq is not installed (Debian package dnsmasq-base)';
      return undefined;
    },
    async start(ctx) {
      const binary = DNSMASQ_PATHS.find((p) => existsSync(p))!;
      const certPath = config.http.tls_cert || options.layout.tlsCert;
      const http = createApiServer({ log: ctx.log, bodyLimit: BOOT_BODY_LIMIT });
      await http.register(
        bootHttpRoutes({
          applianceUrl: `http://${boot.server_address}:${boot.http_port}`,
          controller: `${boot.server_address}:${config.http.port}`,
          fingerprint: () => readCertificateFacts(certPath).fingerprint,
          policy: boot.unknown_hosts,
          imageDir: boot.image_dir,
          hostByMac: async (mac) => (await plugin.call<{ host: { id: string; state: HostState } | null }>('controller.host-by-mac', { mac })).host ?? undefined,
          joinCode: async (mac, address) => (await plugin.call<{ code: string }>('controller.boot-join-code', { mac, address })).code,
          log: ctx.log,
          onDecision: (decision, address) => noteDecision(plugin.note, decision, address),
        }),
      );
      await http.listen({ host: boot.server_address, port: boot.http_port });
      http.server.on('error', (err) => ctx.fail(err));

      const dnsmasq = new DnsmasqProcess({
        ...dnsmasqOptions(options),
        binary,
        onLog: (line) => ctx.log.info({ dnsmasq: line }, 'dnsmasq'),
        onState: (status) => {
          ctx.log.info({ dnsmasq: status }, `dnsmasq ${status.state}`);
          if (status.state === 'failed') ctx.fail(new Error(`dnsmasq keeps dying (${status.lastExit ?? 'unknown'}); restarts exhausted`));
        },
      });
      const syncHosts = async (): Promise<void> => {
        try {
          const { macs } = await plugin.call<{ macs: KnownMac[] }>('controller.known-macs', {});
          dnsmasq.setHosts(hostRecordsOf(macs));
        } catch (err) {
          // No controller (yet): the records on disk stay as they were.
          ctx.log.warn({ err: describeError(err) }, 'could not bring the DHCP host records up to date with the controller');
        }
      };
      const spool = leaseSpoolDir(options.layout.root);
      const replay = async (): Promise<void> => {
        const replayed = await replayLeaseSpool(spool, (call) => plugin.call('boot.lease', call), ctx.log);
        if (replayed > 0) ctx.log.info({ replayed }, 'applied lease changes the hook kept while the appliance was down');
      };
      const orphans = await dnsmasq.sweepOrphans();
      if (orphans.length > 0) ctx.log.warn({ pids: orphans }, 'killed dnsmasq left running by an appliance that did not stop it');
      // Before dnsmasq starts: its init call must find every lease it (or an orphan) ever acknowledged.
      await replay();
      await syncHosts();
      dnsmasq.start();
      let syncing = Promise.resolve();
      const timer = setInterval(() => {
        syncing = Promise.all([syncHosts(), replay()]).then(() => undefined);
      }, options.hostSyncMs ?? HOST_SYNC_MS);
      timer.unref();
      return {
        async stop() {
          clearInterval(timer);
          await syncing;
          await Promise.all([dnsmasq.stop(), http.close()]);
        },
      };
    },
  };
}

/**
 * Hands each spooled hook call to boot.lease, oldest first, and removes it
 * once stored or refused (a refused call would be refused forever). Stops at
 * the first call the appliance could not take, keeping it and the rest.
 */
export async function replayLeaseSpool(dir: string, apply: (call: SpooledCall) => Promise<unknown>, log: Logger): Promise<number> {
  let replayed = 0;
  for (const entry of readLeaseSpool(dir)) {
    if ('problem' in entry) {
      log.error({ file: entry.file, problem: entry.problem }, 'dropped a spooled lease hook call that cannot be read');
      removeSpooled(entry.file);
      continue;
    }
    try {
      await apply(entry.call);
      replayed += 1;
    } catch (err) {
      const refused = isAllianceError(err) && (err.code.startsWith('APL_BOOT_') || err.code === 'APL_BUS_INVALID_PARAMS');
      if (!refused) {
        log.warn({ err: describeError(err), file: entry.file }, 'could not replay a spooled lease hook call; it is kept for the next try');
        return replayed;
      }
      log.error({ err: describeError(err), file: entry.file }, 'dropped a spooled lease hook call the appliance refuses');
    }
    removeSpooled(entry.file);
  }
  return replayed;
}

function noteDecision(note: PluginContext['note'], decision: BootDecision, address: string): void {
  const data = { ...decision, address };
  switch (decision.kind) {
    case 'enrol':
      note('boot.enrol', 'info', `Machine ${decision.mac} at ${address} network-boots into enrolment${decision.admit ? ' with a single-use join code' : ', to wait for approval'}`, data);
      return;
    case 'host-image':
      note('boot.host-image', 'info', `Host ${decision.hostId} (${decision.mac}) network-boots the host image`, data);
      return;
    case 'local-disk':
      note('boot.local-disk', 'info', `Machine ${decision.mac} is sent to its local disk`, data);
      return;
    case 'deny':
      // Garbage requests are only logged: anyone on the provisioning network could fill the journal with them.
      if (decision.reason === 'bad-request') return;
      note('boot.denied', 'warning', `Machine ${decision.mac ?? '(no MAC)'} at ${address} was refused a network boot: ${decision.reason}`, data);
      return;
  }
}
