import { existsSync, readFileSync, renameSync } from 'node:fs';
import { hostname as liveHostname } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { INSTALL_FILES, type InstallAnswers, InstallAnswersSchema, type ManagementNetwork, type SystemSettings, validateNetwork, validateSystem } from '../../appliance/contracts/index.ts';
import { consoleErrors } from './errors.ts';
import { readInterfaces } from './local-facts.ts';
import { applySystemSettings, saveManagementNetwork } from './system/network-change.ts';

export interface FirstBootOptions {
  readonly dataDir: string;
  readonly etcDir: string;
  /** Interface names by MAC (lower case); the machine's own from /sys/class/net when omitted. */
  readonly interfacesByMac?: () => ReadonlyMap<string, string>;
}

/**
 * `alliance console first-boot`: what the installer was told (host name,
 * management network, NTP) made into the installed system's files, the way the
 * console's own forms would make them, before systemd-networkd starts. The
 * answers become install/answers.applied.json so it happens once. Answers one
 * line per thing done.
 */
export async function applyInstallAnswers(options: FirstBootOptions): Promise<readonly string[]> {
  const path = join(options.dataDir, INSTALL_FILES.answers);
  if (!existsSync(path)) return [`no ${path}: nothing to apply`];
  const answers = readAnswers(path);
  const lines: string[] = [];
  const paths = { etcDir: options.etcDir };

  // Everything is checked before anything is written: a bad answer leaves the image's defaults whole.
  let managed: { network: ManagementNetwork; said: string } | undefined;
  if (answers.network !== null) {
    const network = answers.network;
    const byMac = (options.interfacesByMac ?? interfacesByMac)();
    const iface = byMac.get(network.mac);
    if (iface === undefined) throw consoleErrors.ANSWERS_INVALID({ path, problem: `no interface has the MAC ${network.mac} (this machine has ${[...byMac.keys()].join(', ') || 'none'})` });
    const form =
      network.mode === 'dhcp'
        ? { interface: iface, mode: 'dhcp', address: '', gateway: '', dns: '' }
        : { interface: iface, mode: 'static', address: network.address, gateway: network.gateway, dns: network.dns.join(', ') };
    const checked = validateNetwork(form, { interfaces: [...byMac.values()] });
    if (!checked.ok) throw consoleErrors.ANSWERS_INVALID({ path, problem: `network: ${Object.values(checked.problems).join('; ')}` });
    const said = network.mode === 'dhcp' ? 'by DHCP' : `${network.address}${network.gateway ? ` via ${network.gateway}` : ''}`;
    managed = { network: checked.value, said: `management network: ${iface} (${network.mac}) ${said}` };
  }
  let system: SystemSettings | undefined;
  if (answers.hostname !== null || answers.ntp.length > 0) {
    const checked = validateSystem({ hostname: answers.hostname ?? liveHostname(), dns: '', ntp: answers.ntp.join(', ') });
    if (!checked.ok) throw consoleErrors.ANSWERS_INVALID({ path, problem: Object.entries(checked.problems).map(([k, v]) => `${k}: ${v}`).join('; ') });
    system = checked.value;
  }

  if (managed !== undefined) {
    // Written, not applied: systemd-networkd starts after this and takes the file.
    saveManagementNetwork(managed.network, paths);
    lines.push(managed.said);
  }
  if (system !== undefined) lines.push(...(await applySystemSettings(system, { paths })));

  renameSync(path, join(options.dataDir, INSTALL_FILES.dir, 'answers.applied.json'));
  return lines;
}

function readAnswers(path: string): InstallAnswers {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw consoleErrors.ANSWERS_INVALID({ path, problem: (err as Error).message }, { cause: err });
  }
  const first = Value.Errors(InstallAnswersSchema, parsed).First();
  if (first !== undefined) throw consoleErrors.ANSWERS_INVALID({ path, problem: `${first.path || '/'} ${first.message}` });
  return parsed as InstallAnswers;
}

function interfacesByMac(): ReadonlyMap<string, string> {
  return new Map(readInterfaces().map((i) => [i.mac.toLowerCase(), i.name]));
}
