import { normaliseMac } from './_dhcp-values.ts';
import { type BootDecision, type DenyReason, type Firmware } from './boot-decision.ts';
import { bootErrors } from './errors.ts';
import { type KernelParams, renderKernelCmdline } from './kernel-cmdline.ts';

// iPXE scripts as whole texts. iPXE expands ${...} anywhere in a command line and
// treats `||`, `&&`, `#` and whitespace specially, so nothing untrusted is ever
// escaped into a script: every value is checked against a closed alphabet and
// refused (APL_BOOT_PARAM_INVALID) if it does not fit, and the only free text
// (the reason of a deny) is chosen here from a fixed table.

/** Where the appliance serves boot files: `http://10.0.0.1:8080`, no path. */
export interface IpxeUrls {
  readonly appliance: string;
}

export interface IpxeScriptOptions extends IpxeUrls {
  /** Command line of the host image; required for `enrol` and `host-image`, with a join code exactly when the decision admits. */
  readonly kernel?: KernelParams;
}

/** The path of the first stage, the one script dnsmasq names to iPXE. */
export const IPXE_CHAIN_PATH = '/boot/ipxe';

/** The path of the per-host script that the first stage chains to. */
export const HOST_SCRIPT_PATH = '/boot/host';

const BASE_URL = /^http:\/\/(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(?::\d{1,5})?$/;

const DENY_TEXT: Record<DenyReason, string> = {
  'bad-request': 'the request did not carry a MAC address and firmware type',
  'unsupported-firmware': 'there is no host image for this firmware (x86_64 BIOS or UEFI, arm64 UEFI only)',
  'unknown-mac': 'this MAC address belongs to no host and unknown machines are ignored',
  'retired': 'this machine was retired, enrol it again to use it',
  'rejected': 'an operator rejected this machine',
};

/**
 * The first stage, served at a fixed URL (dnsmasq hands it to iPXE): asks for
 * this machine's own script, saying its MAC and firmware (iPXE already has its
 * address from the DHCP answer that named this script). On any failure it
 * leaves iPXE, so the firmware tries its next boot device.
 */
export function renderChainScript(urls: IpxeUrls): string {
  const base = checkBase(urls.appliance);
  return [
    '#!ipxe',
    `chain --autofree ${base}${HOST_SCRIPT_PATH}?mac=\${net0/mac}&arch=\${buildarch}&platform=\${platform}&version=\${version} || exit 1`,
    '',
  ].join('\n');
}

/**
 * The per-host script for a decision. Images come from
 * `<appliance>/boot/image/<arch>/{vmlinuz,initrd.img}`. Leaving for the local
 * disk is `sanboot --no-describe --drive 0x80` under BIOS (the first hard disk;
 * `exit` would return to a BIOS that often just stops) and `exit` under UEFI
 * (back to the boot manager, which takes the next entry). A deny echoes the
 * reason and leaves with `exit 1`: no shell (a console on iPXE would be a way in),
 * no `poweroff` (not built into Debian's iPXE); DHCP already ignores unknown
 * MACs when the policy says so, so this path is rare.
 */
export function renderIpxeScript(decision: BootDecision, options: IpxeScriptOptions): string {
  const base = checkBase(options.appliance);
  const lines = ['#!ipxe'];
  switch (decision.kind) {
    case 'enrol':
    case 'host-image': {
      if (options.kernel === undefined) throw bootErrors.PARAM_INVALID({ name: 'kernel', value: 'missing' });
      // A join code goes exactly where the policy admits: never on a line it did not decide to.
      if (decision.admit && options.kernel.joinCode === undefined) throw bootErrors.PARAM_INVALID({ name: 'alliance.join', value: 'missing' });
      if (!decision.admit && options.kernel.joinCode !== undefined) throw bootErrors.PARAM_INVALID({ name: 'alliance.join', value: '<hidden>' });
      const cmdline = renderKernelCmdline(options.kernel);
      const dir = `${base}/boot/image/${imageArch(decision.firmware)}`;
      lines.push(
        `echo Alliance: ${decision.kind === 'enrol' ? 'enrolling' : 'booting host'} ${checkMac(decision.mac)}`,
        `kernel ${dir}/vmlinuz initrd=initrd.img ${cmdline} || goto failed`,
        `initrd --name initrd.img ${dir}/initrd.img || goto failed`,
        'boot || goto failed',
        ':failed',
        'echo Alliance: could not load the host image, leaving iPXE',
        'exit 1',
      );
      break;
    }
    case 'local-disk':
      lines.push(`echo Alliance: ${checkMac(decision.mac)} boots from its local disk`);
      lines.push(decision.firmware === 'x86_64-bios' ? 'sanboot --no-describe --drive 0x80 || exit 1' : 'exit');
      break;
    case 'deny':
      lines.push(`echo Alliance: not booting ${decision.mac === undefined ? 'this machine' : checkMac(decision.mac)}: ${DENY_TEXT[decision.reason]}`, 'exit 1');
      break;
  }
  return `${lines.join('\n')}\n`;
}

function imageArch(firmware: Firmware): string {
  return firmware === 'arm64-efi' ? 'arm64' : 'x86_64';
}

function checkBase(url: string): string {
  const m = BASE_URL.exec(url);
  const port = /:(\d{1,5})$/.exec(url)?.[1];
  if (m === null || (port !== undefined && (Number(port) < 1 || Number(port) > 65535))) {
    throw bootErrors.PARAM_INVALID({ name: 'appliance URL', value: url.replace(/[^\x20-\x7e]/g, '?').slice(0, 80) });
  }
  return url;
}

/** Only a MAC already in normaliseMac()'s form (lower case, colons) goes into a script. */
function checkMac(mac: string): string {
  if (normaliseMac(mac) !== mac) throw bootErrors.PARAM_INVALID({ name: 'MAC', value: mac.replace(/[^\x20-\x7e]/g, '?').slice(0, 80) });
  return mac;
}
