import { type HostState } from '../../appliance/contracts/index.ts';
import { normaliseMac } from './_dhcp-values.ts';

// What a machine asking the HTTP iPXE endpoint gets: decided from what iPXE said
// about itself (MAC, ${buildarch}, ${platform}, ${version}) and what the
// controller knows of the MAC. Pure: the endpoint looks the host up, mints the
// join token for an `enrol` answer, and renders the script.

/** The query of `/boot/host?mac=...&arch=...&platform=...&version=...`, untrusted. */
export interface BootRequest {
  readonly mac: string | undefined;
  /** iPXE's ${buildarch}: x86_64, i386, arm64. */
  readonly arch: string | undefined;
  /** iPXE's ${platform}: pcbios or efi. */
  readonly platform: string | undefined;
  /** iPXE's ${version}, only logged. */
  readonly version?: string | undefined;
}

/** Per-host boot override set by an operator. */
export type BootOverride = 'local-disk';

export interface BootFacts {
  /** The host that owns the MAC, if any. */
  readonly host?: { readonly id: string; readonly state: HostState; readonly bootOverride?: BootOverride | undefined } | undefined;
  /**
   * boot.unknown_hosts. discover: a MAC no host owns boots into enrolment and
   * waits for approval; admit: every machine booting the image gets a
   * single-use join code, so it is admitted at once; ignore: unknown MACs get
   * nothing.
   */
  readonly unknownMacPolicy: 'discover' | 'admit' | 'ignore';
}

/** The firmware that runs iPXE; decides how to leave iPXE and which kernel to send. */
export type Firmware = 'x86_64-bios' | 'x86_64-efi' | 'arm64-efi';

export type DenyReason = 'bad-request' | 'unsupported-firmware' | 'unknown-mac' | 'retired' | 'rejected';

export type BootDecision =
  /** Boot the host image to enrol a machine no admitted host owns; `admit`: with a fresh single-use join code on the kernel command line. */
  | { readonly kind: 'enrol'; readonly mac: string; readonly firmware: Firmware; readonly admit: boolean; readonly hostId?: string }
  /**
   * Boot the host image on an admitted host's machine. The image is stateless,
   * so its agent enrols again with a new key: `admit` gives it a join code.
   */
  | { readonly kind: 'host-image'; readonly mac: string; readonly firmware: Firmware; readonly admit: boolean; readonly hostId: string }
  /** Leave iPXE so the firmware boots the next device (the local disk). */
  | { readonly kind: 'local-disk'; readonly mac: string; readonly firmware: Firmware; readonly hostId?: string }
  /** Say why and leave iPXE. */
  | { readonly kind: 'deny'; readonly reason: DenyReason; readonly mac?: string; readonly firmware?: Firmware };

/** The firmware from iPXE's ${buildarch} and ${platform}; undefined for ones we have no image for. */
export function firmwareOf(arch: string, platform: string): Firmware | undefined {
  if (arch === 'x86_64' && platform === 'pcbios') return 'x86_64-bios';
  // A 32-bit iPXE (undionly.kpxe built for i386) on a 64-bit machine still boots our x86_64 kernel.
  if (arch === 'i386' && platform === 'pcbios') return 'x86_64-bios';
  if (arch === 'x86_64' && platform === 'efi') return 'x86_64-efi';
  if (arch === 'arm64' && platform === 'efi') return 'arm64-efi';
  return undefined;
}

/**
 * The answer for one request. Known host by state (under the admit policy,
 * every image boot carries a join code):
 * pending → enrol; active, suspect, offline → host-image; retired, rejected → deny.
 * An override of `local-disk` wins over every state (the operator's way to boot a
 * retired or rejected machine's own disk). The controller does not store
 * overrides yet: today no host carries one.
 */
export function decideBoot(request: BootRequest, facts: BootFacts): BootDecision {
  const mac = normaliseMac(request.mac ?? '');
  if (mac === undefined) return { kind: 'deny', reason: 'bad-request' };
  const firmware = firmwareOf(request.arch ?? '', request.platform ?? '');
  if (firmware === undefined) return { kind: 'deny', reason: 'unsupported-firmware', mac };
  const host = facts.host;
  const admit = facts.unknownMacPolicy === 'admit';
  if (host === undefined) {
    return facts.unknownMacPolicy === 'ignore' ? { kind: 'deny', reason: 'unknown-mac', mac, firmware } : { kind: 'enrol', mac, firmware, admit };
  }
  const hostId = host.id;
  if (host.bootOverride === 'local-disk') return { kind: 'local-disk', mac, firmware, hostId };
  switch (host.state) {
    case 'pending':
      return { kind: 'enrol', mac, firmware, admit, hostId };
    case 'active':
    case 'suspect':
    case 'offline':
      return { kind: 'host-image', mac, firmware, admit, hostId };
    case 'retired':
    case 'rejected':
      return { kind: 'deny', reason: host.state, mac, firmware };
  }
}
