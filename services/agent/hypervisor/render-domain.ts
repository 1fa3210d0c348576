import { domainNameOf, type InstanceSpec } from '../../../appliance/contracts/index.ts';

/** The XML namespace of the metadata element the agent puts on its domains. */
export const METADATA_NAMESPACE = 'https://alliance.invalid/xmlns/instance/1';

/** Where an instance's files are on the host. */
export interface DomainFiles {
  /** qcow2 over the cached base image. */
  readonly rootDisk: string;
  /** NoCloud seed ISO, attached read-only as a cdrom; none when undefined. */
  readonly seedIso: string | undefined;
  /** Serial console log, appended to across restarts. */
  readonly consoleLog: string;
}

export interface RenderDomainOptions {
  /** kvm when /dev/kvm is usable, qemu (TCG emulation) otherwise. */
  readonly virtType: 'kvm' | 'qemu';
}

/**
 * The libvirt domain XML of one instance. Pure: the same inputs give the same
 * bytes, so a test compares the whole document.
 */
export function renderDomain(spec: InstanceSpec, files: DomainFiles, options: RenderDomainOptions): string {
  const x = escapeXml;
  const kvm = options.virtType === 'kvm';
  const lines = [
    `<domain type='${kvm ? 'kvm' : 'qemu'}'>`,
    `  <name>${x(domainNameOf(spec.id))}</name>`,
    // The instance id is a UUID already: libvirt's uuid then names the same thing everywhere.
    `  <uuid>${x(spec.id)}</uuid>`,
    `  <title>${x(spec.name)}</title>`,
    '  <metadata>',
    `    <alliance:instance xmlns:alliance='${METADATA_NAMESPACE}'>`,
    `      <alliance:id>${x(spec.id)}</alliance:id>`,
    `      <alliance:name>${x(spec.name)}</alliance:name>`,
    `      <alliance:image>${x(spec.image.id)}</alliance:image>`,
    '    </alliance:instance>',
    '  </metadata>',
    `  <memory unit='MiB'>${spec.memoryMiB}</memory>`,
    `  <vcpu placement='static'>${spec.vcpus}</vcpu>`,
    '  <os>',
    "    <type arch='x86_64' machine='q35'>hvm</type>",
    "    <boot dev='hd'/>",
    '  </os>',
    // ACPI lets `virsh shutdown` ask the guest to power off cleanly.
    '  <features>',
    '    <acpi/>',
    '    <apic/>',
    '  </features>',
    // TCG cannot pass the host CPU through; it emulates libvirt's default model.
    ...(kvm ? ["  <cpu mode='host-passthrough'/>"] : []),
    "  <clock offset='utc'/>",
    // A guest that powers off stays off until the desired state says otherwise; one that crashes comes back by itself.
    '  <on_poweroff>destroy</on_poweroff>',
    '  <on_reboot>restart</on_reboot>',
    '  <on_crash>restart</on_crash>',
    '  <devices>',
    "    <disk type='file' device='disk'>",
    "      <driver name='qemu' type='qcow2' discard='unmap'/>",
    `      <source file='${x(files.rootDisk)}'/>`,
    "      <target dev='vda' bus='virtio'/>",
    '    </disk>',
    ...(files.seedIso === undefined
      ? []
      : [
          "    <disk type='file' device='cdrom'>",
          "      <driver name='qemu' type='raw'/>",
          `      <source file='${x(files.seedIso)}'/>`,
          // q35 has no IDE: the cdrom sits on SATA.
          "      <target dev='sda' bus='sata'/>",
          '      <readonly/>',
          '    </disk>',
        ]),
    // No network interface yet: networking is a later issue. A user-mode NIC
    // would give guests a private NAT that bypasses whatever the network
    // design decides (addresses, isolation, the metadata endpoint) and that
    // images would then learn to depend on. cloud-init reads the NoCloud seed
    // from the cdrom, so it needs no network to configure the instance.
    "    <serial type='pty'>",
    `      <log file='${x(files.consoleLog)}' append='on'/>`,
    "      <target port='0'/>",
    '    </serial>',
    "    <console type='pty'>",
    "      <target type='serial' port='0'/>",
    '    </console>',
    // Cloud images generate SSH host keys at first boot: give them entropy.
    "    <rng model='virtio'>",
    "      <backend model='random'>/dev/urandom</backend>",
    '    </rng>',
    '  </devices>',
    '</domain>',
  ];
  return `${lines.join('\n')}\n`;
}

/** Text safe inside an element or a single- or double-quoted attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>'"]/g, (c) => XML_ENTITIES[c as keyof typeof XML_ENTITIES]);
}

const XML_ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', "'": '&apos;', '"': '&quot;' } as const;
