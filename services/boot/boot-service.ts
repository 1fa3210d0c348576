import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../appliance/config/index.ts';
import type { DataDirLayout } from '../../appliance/data-dir/index.ts';
import type { ServiceDefinition } from '../../appliance/supervisor/index.ts';
import { DEBIAN_BOOT_FILES } from './dnsmasq-config.ts';
import { DnsmasqProcess, type DnsmasqProcessOptions } from './dnsmasq-process.ts';

export interface BootServiceOptions {
  readonly config: Config;
  readonly layout: DataDirLayout;
  /** The node id: names the run directory, so two appliances on one machine do not share it. */
  readonly nodeId: string;
  /** The `alliance` executable dnsmasq's hook runs (the built executable: process.execPath). */
  readonly executable: string;
}

const DNSMASQ_PATHS = ['/usr/sbin/dnsmasq', '/usr/bin/dnsmasq', '/sbin/dnsmasq'];

/**
 * dnsmasq's part of DnsmasqProcessOptions from the boot settings. Its run
 * directory is under /run, not the data directory: dnsmasq drops to nobody
 * and must still read the hosts directory and the TFTP root, and the data
 * directory is 0700. Pure.
 */
export function dnsmasqOptions(options: BootServiceOptions): Omit<DnsmasqProcessOptions, 'onLog' | 'onState'> {
  const { boot, http } = options.config;
  const mode =
    boot.mode === 'dhcp'
      ? { kind: 'dhcp' as const, rangeStart: boot.range_start, rangeEnd: boot.range_end, netmask: boot.netmask, leaseSeconds: boot.lease_s }
      : { kind: 'proxy' as const, subnet: boot.range_start, netmask: boot.netmask };
  return {
    runDir: join('/run/alliance-boot', options.nodeId.slice(0, 16).toLowerCase()),
    spec: { interface: boot.interface, serverAddress: boot.server_address, mode, httpPort: http.port, ipxePath: '/boot/ipxe', bootFiles: DEBIAN_BOOT_FILES, unknownMacs: boot.unknown_hosts },
    hook: { executable: options.executable, args: ['boot', 'lease-hook', `--data-dir=${options.layout.root}`, '--'] },
  };
}

/** dnsmasq on boot.interface, supervised; off unless boot.enabled, as root, with dnsmasq installed. */
export function bootService(options: BootServiceOptions): ServiceDefinition {
  return {
    name: 'boot',
    after: ['bus'],
    preflight() {
      if (!options.config.boot.enabled) return 'boot.enabled is false';
      if (process.getuid?.() !== 0) return 'dnsmasq needs root (DHCP port 67, raw sockets)';
      const binary = DNSMASQ_PATHS.find((p) => existsSync(p));
      if (binary === undefined) return 'dnsmasq is not installed (Debian package dnsmasq-base)';
      return undefined;
    },
    start(ctx) {
      const binary = DNSMASQ_PATHS.find((p) => existsSync(p))!;
      const dnsmasq = new DnsmasqProcess({
        ...dnsmasqOptions(options),
        binary,
        onLog: (line) => ctx.log.info({ dnsmasq: line }, 'dnsmasq'),
        onState: (status) => {
          ctx.log.info({ dnsmasq: status }, `dnsmasq ${status.state}`);
          if (status.state === 'failed') ctx.fail(new Error(`dnsmasq keeps dying (${status.lastExit ?? 'unknown'}); restarts exhausted`));
        },
      });
      dnsmasq.start();
      return Promise.resolve({ stop: () => dnsmasq.stop() });
    },
  };
}
