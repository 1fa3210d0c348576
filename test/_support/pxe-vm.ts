// Bare-metal machines for the network-boot tests: qemu under TCG (no KVM here)
// with an empty disk and one NIC on a tap in a test bridge, powered on to
// network-boot. BIOS uses the e1000, whose option ROM already is iPXE; UEFI
// uses OVMF with a virtio NIC stripped of its ROM, so the firmware's own PXE
// fetches iPXE by TFTP first, as on most real UEFI machines.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export type PxeFirmware = 'bios' | 'uefi';

export interface PxeVmOptions {
  /** Namespace holding the bridge; the tap is made there. */
  readonly ns: string;
  readonly bridge: string;
  readonly tap: string;
  readonly mac: string;
  readonly firmware: PxeFirmware;
  /** Scratch directory: the serial log, the empty disk and the UEFI variable store go here. */
  readonly dir: string;
  readonly memoryMiB?: number;
}

export interface PxeVm {
  readonly child: ChildProcess;
  readonly serialLog: string;
  /** Everything the machine printed on its serial line so far. */
  serial(): string;
  /** Waits until the serial line shows `pattern`; fails with the tail of the log. */
  waitForSerial(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Powers the machine off (SIGKILL, like pulling the plug) and removes its tap. */
  destroy(): Promise<void>;
}

const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';

export function startPxeVm(options: PxeVmOptions): PxeVm {
  const { ns, bridge, tap, mac, firmware, dir } = options;
  execFileSync('ip', ['-n', ns, 'tuntap', 'add', tap, 'mode', 'tap']);
  execFileSync('ip', ['-n', ns, 'link', 'set', tap, 'master', bridge, 'up']);
  const serialLog = join(dir, `${tap}.serial.log`);
  const disk = join(dir, `${tap}.disk.raw`);
  // An empty disk: nothing to boot locally, something for the inventory to find.
  execFileSync('truncate', ['-s', '1G', disk]);
  const common = ['-cpu', 'max', '-m', String(options.memoryMiB ?? 1024), '-smp', '1', '-display', 'none', '-no-reboot', '-serial', `file:${serialLog}`];
  const netdev = ['-netdev', `tap,id=n0,ifname=${tap},script=no,downscript=no`];
  const diskArgs = ['-drive', `file=${disk},format=raw,if=virtio`];
  let args: string[];
  if (firmware === 'bios') {
    args = ['-machine', 'pc,accel=tcg', ...common, '-boot', 'n', ...netdev, '-device', `e1000,netdev=n0,mac=${mac}`, ...diskArgs];
  } else {
    const vars = join(dir, `${tap}.OVMF_VARS.fd`);
    copyFileSync(OVMF_VARS, vars);
    args = [
      '-machine', 'q35,accel=tcg', ...common,
      '-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_CODE}`,
      '-drive', `if=pflash,format=raw,unit=1,file=${vars}`,
      ...netdev,
      // romfile= empty: no iPXE ROM on the card, so OVMF's own PXE client runs first.
      '-device', `virtio-net-pci,netdev=n0,mac=${mac},romfile=,bootindex=1`,
      ...diskArgs,
    ];
  }
  const child = spawn('ip', ['netns', 'exec', ns, 'qemu-system-x86_64', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const serial = (): string => (existsSync(serialLog) ? readFileSync(serialLog, 'latin1') : '');
  return {
    child,
    serialLog,
    serial,
    async waitForSerial(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const text = serial();
        const match = pattern.exec(text);
        if (match !== null) return match[0];
        if (child.exitCode !== null || Date.now() > deadline) {
          const why = child.exitCode !== null ? `qemu exited ${child.exitCode} (${stderr.trim().slice(-500)})` : `not within ${timeoutMs} ms`;
          throw new Error(`${tap} (${firmware}) did not print ${pattern}: ${why}; its serial line ended with:\n${text.slice(-3000)}`);
        }
        await sleep(500);
      }
    },
    async destroy() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      try {
        execFileSync('ip', ['-n', ns, 'link', 'del', tap], { stdio: 'ignore' });
      } catch {
        /* gone with the namespace */
      }
    },
  };
}
