import { isIPv4, quoteTyped, type ManagementNetwork } from '../../../appliance/contracts/index.ts';
import { consoleErrors as systemErrors } from '../errors.ts';

// The systemd-networkd file that makes the management network last. The
// network itself is checked in appliance/contracts (management-settings.ts),
// with the rules the installer and first boot share. Pure: no I/O, no clock.

const IFNAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;

/** The file name under /etc/systemd/network; the 10- sorts it before the distribution's defaults. */
export function networkdFileName(): string {
  return '10-alliance-management.network';
}

/** The systemd-networkd .network file for the settings; refuses a value that is not of its form (an unchecked network). */
export function renderNetworkdFile(network: ManagementNetwork): string {
  if (!IFNAME.test(network.interface)) invalid('interface', `is ${quoteTyped(network.interface)}, not an interface name`);
  const head = `# Written by the Alliance console (system settings: management network); edits are overwritten.
[Match]
Name=${network.interface}

[Network]
`;
  if (network.mode === 'dhcp') return `${head}DHCP=ipv4\n`;
  if (!isIPv4(network.address)) invalid('address', `is ${quoteTyped(network.address)}, not an IPv4 address`);
  if (!Number.isInteger(network.prefix) || network.prefix < 8 || network.prefix > 32) invalid('prefix', `is ${String(network.prefix)}, not 8 to 32`);
  if (network.gateway !== null && !isIPv4(network.gateway)) invalid('gateway', `is ${quoteTyped(network.gateway)}, not an IPv4 address`);
  for (const server of network.dns) if (!isIPv4(server)) invalid('dns', `has ${quoteTyped(server)}, not an IPv4 address`);
  const lines = [`Address=${network.address}/${network.prefix}`];
  if (network.gateway !== null) lines.push(`Gateway=${network.gateway}`);
  for (const server of network.dns) lines.push(`DNS=${server}`);
  return `${head}${lines.join('\n')}\n`;
}

function invalid(field: string, problem: string): never {
  throw systemErrors.SYSTEM_SETTINGS_INVALID({ what: 'the management network file', field, problem });
}
