// A real IPMI BMC for tests: OpenIPMI's ipmi_sim (Debian package openipmi) on
// a loopback UDP port, whose "machine" is a real qemu VM without a disk that
// idles in its BIOS. ipmi_sim starts qemu (startcmd) on power on and sends it
// SIGTERM on power off, so "the host is off" can be checked against the
// process table, not just against what the BMC says.
//
// Measured with OpenIPMI 2.0.33 / ipmitool 1.8.19: chassis control needs a
// system interface (channel 15, the `serial 15 ... codec VM` line, which nobody
// connects to) or ipmi_sim answers "Invalid data field"; RMCP+ needs a `guid`
// (a 16-character quoted string; 32 hex digits crash it); ipmi_sim has no
// cipher suite 17, so clients should ask for 3.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface IpmiSim {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly dir: string;
  /** The pid of the VM if it runs (a zombie counts as gone). */
  vmPid(): number | undefined;
  /** Resolves once the VM runs (its pid file names a live qemu), or rejects after timeoutMs. */
  waitForVm(timeoutMs: number): Promise<number>;
  /** Kills ipmi_sim and the VM, whatever state they are in. */
  stop(): Promise<void>;
}

export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

export async function startIpmiSim(options: { user: string; password: string }): Promise<IpmiSim> {
  const dir = mkdtempSync(join(tmpdir(), 'alliance-ipmi-sim-'));
  const port = await freeUdpPort();
  const serialPort = await freeTcpPort();
  const pidFile = join(dir, 'qemu.pid');
  mkdirSync(join(dir, 'state'));
  const qemu = `/usr/bin/qemu-system-x86_64 -machine pc,accel=tcg -m 64 -display none -nodefaults -no-reboot -pidfile ${pidFile}`;
  writeFileSync(
    join(dir, 'lan.conf'),
    [
      'name "alliance-fence-test"',
      'set_working_mc 0x20',
      '  startlan 1',
      `    addr 127.0.0.1 ${port}`,
      '    priv_limit admin',
      '    allowed_auths_callback md5',
      '    allowed_auths_user md5',
      '    allowed_auths_operator md5',
      '    allowed_auths_admin md5',
      '    guid "alliance-fence-1"',
      '  endlan',
      `  serial 15 127.0.0.1 ${serialPort} codec VM`,
      // ipmi_sim runs it as `exec <startcmd>` through /bin/sh.
      `  startcmd "${qemu}"`,
      '  startnow false',
      // No VM agent answers a graceful shutdown, so power off is SIGTERM at once, SIGKILL after 2 s.
      '  poweroff_wait 0',
      '  kill_wait 2',
      `  user 2 true "${options.user}" "${options.password}" admin 10 md5`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'emu.cmds'), 'mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02\nmc_enable 0x20\n');
  let stderr = '';
  const child: ChildProcess = spawn('ipmi_sim', ['-c', join(dir, 'lan.conf'), '-f', join(dir, 'emu.cmds'), '-s', join(dir, 'state'), '-n'], {
    // Its own process group, so stop() also reaches the qemu it started.
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const vmPid = (): number | undefined => {
    let pid: number;
    try {
      pid = Number(readFileSync(pidFile, 'utf8').trim());
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmdline.includes(pidFile) || / Z /.test(stat.slice(stat.lastIndexOf(')')))) return undefined;
    } catch {
      return undefined;
    }
    return pid;
  };

  const sim: IpmiSim = {
    port,
    user: options.user,
    password: options.password,
    dir,
    vmPid,
    async waitForVm(timeoutMs) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const pid = vmPid();
        if (pid !== undefined) return pid;
        if (Date.now() > until) throw new Error(`no qemu runs after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop() {
      const vm = vmPid();
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        await exited;
      }
      if (vm !== undefined) {
        try {
          process.kill(vm, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };

  // Ready once the UDP port is bound (it is, or ipmi_sim has died and says why).
  const until = Date.now() + 5000;
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await sim.stop();
      throw new Error(`ipmi_sim exited (${child.exitCode ?? child.signalCode}): ${stderr.trim()}`);
    }
    if (readFileSync('/proc/net/udp', 'utf8').includes(`0100007F${hexPort}`)) return sim;
    if (Date.now() > until) {
      await sim.stop();
      throw new Error(`ipmi_sim did not bind UDP ${port} within 5 s: ${stderr.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
