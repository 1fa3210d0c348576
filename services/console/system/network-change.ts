import { type ManagementNetwork, type NetworkForm } from '../../../appliance/contracts/index.ts';
import { existsSync } from 'node:fs';
import { describeError } from '../../../appliance/errors/index.ts';
import { consoleErrors as systemErrors } from '../errors.ts';
import { addrCommand, parseSnapshot, restoreCommands, ROUTE_COMMAND, staticCommands, type Command, type InterfaceSnapshot } from './_interface-snapshot.ts';
import { commandLine, firstLine, runChecked, runCommand, type CommandRunner } from './_run-command.ts';
import { readSystemFile, restoreSystemFile, systemFiles, writeSystemFile, type SystemPaths } from './_system-files.ts';
import { renderNetworkdFile } from './management-network.ts';
import { parseResolvConf, renderResolvConf } from './system-settings.ts';

// The edge that changes the management network: a snapshot of the interface,
// the new settings put live with `ip` (or systemd-networkd for DHCP), a check
// that the gateway answers, and the snapshot put back when it does not, when a
// command fails midway, or when the operator does not confirm.

export type { CommandResult, CommandRunner } from './_run-command.ts';
export type { SystemPaths } from './_system-files.ts';
export { applySystemSettings, readSystemForm } from './apply-system-settings.ts';

export type ApplyOutcome = { readonly ok: true; readonly detail: string } | { readonly ok: false; readonly reason: string };

export interface NetworkChangeOptions {
  readonly paths: SystemPaths;
  /** How long the gateway (or a DHCP lease) has to answer before the change is rolled back. */
  readonly checkMs: number;
  /** Runs the programs; the default runs the real binaries, each with a timeout. */
  readonly run?: CommandRunner;
  /** Whether systemd-networkd applies the file (DHCP goes live through it); detected when omitted: etcDir is /etc, /run/systemd/system exists and networkctl runs. */
  readonly networkd?: boolean;
}

export interface NetworkChange {
  /** Puts the settings live and checks them; when the check fails or a command fails, the snapshot is back and the outcome says why. Never rejects. */
  apply(): Promise<ApplyOutcome>;
  /** Makes the settings last: the networkd file, and resolv.conf when DNS servers are given. */
  keep(): Promise<void>;
  /** Puts the snapshot taken by apply() back (the operator said no, or the confirmation ran out). */
  revert(): Promise<void>;
}

const PING_TIMEOUT_MS = 2_500;
const ATTEMPT_EVERY_MS = 1_000;
const LEASE_POLL_MS = 250;

/** The files that make `network` last (the networkd file, and resolv.conf when DNS servers are given), written without touching the live interface. */
export function saveManagementNetwork(network: ManagementNetwork, paths: SystemPaths): void {
  const files = systemFiles(paths);
  writeSystemFile(files.networkd, renderNetworkdFile(network));
  if (network.mode === 'static' && network.dns.length > 0) writeSystemFile(files.resolvConf, renderResolvConf(network.dns));
}

/** A change of the management network to `network`, not yet applied. */
export function startNetworkChange(network: ManagementNetwork, options: NetworkChangeOptions): NetworkChange {
  return new LiveNetworkChange(network, options);
}

class LiveNetworkChange implements NetworkChange {
  readonly #network: ManagementNetwork;
  readonly #options: NetworkChangeOptions;
  readonly #run: CommandRunner;
  readonly #files: ReturnType<typeof systemFiles>;
  /** The interface before the first apply(), and the networkd file then (undefined: not read). */
  #snapshot: InterfaceSnapshot | undefined;
  #oldFile: string | null | undefined;
  /** apply(), keep() and revert() run one at a time, in the order called. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(network: ManagementNetwork, options: NetworkChangeOptions) {
    this.#network = network;
    this.#options = options;
    this.#run = options.run ?? runCommand;
    this.#files = systemFiles(options.paths);
  }

  apply(): Promise<ApplyOutcome> {
    return this.#serial(() => this.#apply());
  }

  keep(): Promise<void> {
    return this.#serial(async () => saveManagementNetwork(this.#network, this.#options.paths));
  }

  revert(): Promise<void> {
    return this.#serial(async () => {
      const failures = await this.#restore();
      if (failures.length > 0) throw systemErrors.SYSTEM_COMMAND_FAILED({ action: `restore the settings of ${this.#network.interface}`, command: failures[0]!.command, reason: failures.map((f) => f.reason).join('; ') });
    });
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #apply(): Promise<ApplyOutcome> {
    const iface = this.#network.interface;
    try {
      const snapshot = await readSnapshot(this.#run, iface);
      this.#snapshot ??= snapshot;
    } catch (err) {
      return { ok: false, reason: `${describeError(err)}; nothing was changed` };
    }
    let outcome: ApplyOutcome;
    try {
      outcome = this.#network.mode === 'static' ? await this.#applyStatic(this.#network) : await this.#applyDhcp();
    } catch (err) {
      outcome = { ok: false, reason: describeError(err) };
    }
    if (outcome.ok) return outcome;
    const failures = await this.#restore();
    if (failures.length === 0) return { ok: false, reason: `${outcome.reason}; the previous settings of ${iface} are back` };
    return { ok: false, reason: `${outcome.reason}; restoring the previous settings of ${iface} failed too: ${failures.map((f) => `${f.command}: ${f.reason}`).join('; ')}` };
  }

  async #applyStatic(network: Extract<ManagementNetwork, { mode: 'static' }>): Promise<ApplyOutcome> {
    const iface = network.interface;
    const cidr = `${network.address}/${network.prefix}`;
    // Under systemd-networkd the file is the change: addresses set with ip behind its back would be undone at the next DHCP renewal.
    if (await this.#networkdRuns()) await this.#handToNetworkd(`put ${cidr} on ${iface}`);
    else for (const command of staticCommands(network)) await runChecked(this.#run, command, `put ${cidr} on ${iface}`);
    const deadline = Date.now() + this.#options.checkMs;
    if (network.gateway !== null) {
      if (await this.#gatewayAnswers(iface, network.gateway, deadline)) return { ok: true, detail: `${iface} has ${cidr}; the gateway ${network.gateway} answers` };
      return { ok: false, reason: `the gateway ${network.gateway} did not answer on ${iface} within ${seconds(this.#options.checkMs)}` };
    }
    const now = await readSnapshot(this.#run, iface);
    if (!now.up || !now.addresses.some((a) => a.local === network.address && a.prefix === network.prefix)) return { ok: false, reason: `${iface} did not come up with ${cidr}` };
    return { ok: true, detail: `${iface} has ${cidr}, no gateway${now.carrier ? '' : ' (no carrier: is the cable in?)'}` };
  }

  async #applyDhcp(): Promise<ApplyOutcome> {
    const iface = this.#network.interface;
    if (!(await this.#networkdRuns())) return { ok: true, detail: `DHCP on ${iface} is saved when kept, and takes effect when systemd-networkd runs` };
    await this.#handToNetworkd(`start DHCP on ${iface}`);
    const deadline = Date.now() + this.#options.checkMs;
    for (;;) {
      const lease = (await readSnapshot(this.#run, iface)).addresses.find((a) => a.dynamic);
      if (lease !== undefined) return { ok: true, detail: `${iface} has ${lease.local}/${lease.prefix} from DHCP` };
      if (Date.now() >= deadline) return { ok: false, reason: `no DHCP server gave ${iface} an address within ${seconds(this.#options.checkMs)}` };
      await delay(Math.min(LEASE_POLL_MS, deadline - Date.now()));
    }
  }

  /** The networkd file written (the old one kept for the rollback) and networkd told to apply it now. */
  async #handToNetworkd(action: string): Promise<void> {
    this.#oldFile ??= readSystemFile(this.#files.networkd);
    writeSystemFile(this.#files.networkd, renderNetworkdFile(this.#network));
    await runChecked(this.#run, ['networkctl', 'reload'], action);
    await runChecked(this.#run, ['networkctl', 'reconfigure', this.#network.interface], action);
  }

  /** ping, once a second until the deadline (at least once). */
  async #gatewayAnswers(iface: string, gateway: string, deadline: number): Promise<boolean> {
    for (;;) {
      const started = Date.now();
      const result = await this.#run('ping', ['-c1', '-W1', '-n', '-q', '-I', iface, gateway], { timeoutMs: PING_TIMEOUT_MS });
      if (result.code === 0) return true;
      if (result.code === 127) throw systemErrors.SYSTEM_COMMAND_FAILED({ action: `check the gateway ${gateway}`, command: 'ping', reason: firstLine(result) });
      const now = Date.now();
      if (now >= deadline) return false;
      await delay(Math.min(Math.max(0, started + ATTEMPT_EVERY_MS - now), deadline - now));
    }
  }

  async #networkdRuns(): Promise<boolean> {
    if (this.#options.networkd !== undefined) return this.#options.networkd;
    if (this.#options.paths.etcDir !== '/etc' || !existsSync('/run/systemd/system')) return false;
    return (await this.#run('networkctl', ['--version'])).code === 0;
  }

  /** Puts the snapshot back, running every step; answers the steps that failed. */
  async #restore(): Promise<{ command: string; reason: string }[]> {
    const failures: { command: string; reason: string }[] = [];
    const attempt = async (command: Command) => {
      const [file, ...args] = command;
      const result = await this.#run(file, args);
      if (result.code !== 0) failures.push({ command: commandLine(file, args), reason: firstLine(result) });
    };
    if (this.#oldFile !== undefined) {
      try {
        restoreSystemFile(this.#files.networkd, this.#oldFile);
      } catch (err) {
        failures.push({ command: `restore ${this.#files.networkd}`, reason: describeError(err) });
      }
      await attempt(['networkctl', 'reload']);
      await attempt(['networkctl', 'reconfigure', this.#network.interface]);
    }
    if (this.#snapshot === undefined) return failures;
    const commands = restoreCommands(this.#snapshot, this.#network);
    for (const command of commands) {
      // The route the change added may have gone with its address: deleting it is tidying, not a failure.
      if (command[1] === 'route' && command[2] === 'del') await this.#run(command[0], command.slice(1));
      else await attempt(command);
    }
    return failures;
  }
}

/**
 * The live settings of an interface, to prefill the network form: 'dhcp' when
 * its first global IPv4 address is a lease, otherwise 'static'; either way
 * that address and the default gateway on the interface (so switching to
 * static starts from them), and the DNS servers of resolv.conf when `paths`
 * is given.
 */
export async function readInterfaceNetwork(iface: string, options: { readonly run?: CommandRunner; readonly paths?: SystemPaths } = {}): Promise<NetworkForm> {
  const snapshot = await readSnapshot(options.run ?? runCommand, iface);
  const first = snapshot.addresses[0];
  const gateway = snapshot.defaultRoutes.find((r) => r.dev === iface && r.gateway !== null)?.gateway ?? '';
  const resolv = options.paths === undefined ? null : readSystemFile(systemFiles(options.paths).resolvConf);
  const dns = parseResolvConf(resolv);
  return {
    interface: iface,
    mode: first?.dynamic === true ? 'dhcp' : 'static',
    address: first === undefined ? '' : `${first.local}/${first.prefix}`,
    gateway,
    dns: dns.slice(0, 3).join(' '),
  };
}

async function readSnapshot(run: CommandRunner, iface: string): Promise<InterfaceSnapshot> {
  const addr = await runChecked(run, addrCommand(iface), `read the settings of ${iface}`);
  const route = await runChecked(run, ROUTE_COMMAND, 'read the default route');
  return parseSnapshot(iface, { addr, route });
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

