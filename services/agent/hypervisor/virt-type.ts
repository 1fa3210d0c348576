import { accessSync, constants } from 'node:fs';

/** kvm when the agent may open the KVM device (read and write), else qemu: TCG emulation, slow but it runs anywhere. */
export function detectVirtType(options: { device?: string } = {}): 'kvm' | 'qemu' {
  try {
    accessSync(options.device ?? '/dev/kvm', constants.R_OK | constants.W_OK);
    return 'kvm';
  } catch {
    return 'qemu';
  }
}
