// A private libvirtd for tests, without systemd and without touching the
// machine's libvirt state. libvirtd run as root is the system daemon: its
// paths (/etc/libvirt, /run/libvirt, /var/lib/libvirt, ...) are compiled in,
// so it runs in its own mount namespace (`unshare -m`) where bind mounts put
// a temporary directory over /etc/libvirt, /run and /var. Its socket then
// lies in that directory too, and clients reach it with
// qemu:///system?socket=<dir>/run/libvirt/libvirt-sock.
//
// Measured with Debian 12's libvirt 9.0.0 (packages libvirt-daemon and
// libvirt-daemon-driver-qemu, no libvirt-daemon-system):
// - The qemu driver resolves its default user libvirt-qemu before it reads
//   qemu.conf and refuses to start if that user does not exist; the account is
//   made by libvirt-daemon-system's postinst. The namespace gets copies of
//   /etc/passwd and /etc/group with the account added instead.
// - qemu.conf runs qemu as root (the agent's files are root's), with no
//   security driver, cgroups or per-domain mount namespace (none work the same
//   in a container), and stdio_handler "file": qemu itself writes the serial
//   log, so no virtlogd is needed.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LibvirtDaemon {
  /** The connection URI of this daemon. */
  readonly uri: string;
  /** Its temporary root: etc/, run/, var/ (the log is var/log/libvirt/libvirtd.log). */
  readonly dir: string;
  /** The last lines of libvirtd's own log, for failure messages. */
  logTail(lines?: number): string;
  /** Stops libvirtd (SIGTERM, then SIGKILL after 10 s) and removes its directory. */
  stop(): Promise<void>;
}

const QEMU_CONF = `user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
namespaces = [ ]
cgroup_controllers = [ ]
stdio_handler = "file"
`;

const LIBVIRTD_CONF = `auth_unix_rw = "none"
auth_unix_ro = "none"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
`;

/** Starts libvirtd and resolves once its socket answers (virsh uri), or rejects after timeoutMs. Needs root. */
export async function startLibvirtDaemon(options: { timeoutMs?: number } = {}): Promise<LibvirtDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'alliance-libvirtd-'));
  const etc = join(dir, 'etc');
  for (const d of ['etc', 'run', 'var/lib', 'var/cache', 'var/log/libvirt', 'var/tmp']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(etc, 'libvirtd.conf'), LIBVIRTD_CONF);
  writeFileSync(join(etc, 'qemu.conf'), QEMU_CONF);
  copyFileSync('/etc/passwd', join(etc, 'passwd'));
  copyFileSync('/etc/group', join(etc, 'group'));
  if (!/^libvirt-qemu:/m.test(readFileSync('/etc/passwd', 'utf8'))) appendFileSync(join(etc, 'passwd'), 'libvirt-qemu:x:64055:64055:libvirt qemu:/nonexistent:/usr/sbin/nologin\n');
  if (!/^libvirt-qemu:/m.test(readFileSync('/etc/group', 'utf8'))) appendFileSync(join(etc, 'group'), 'libvirt-qemu:x:64055:\n');

  const mounts = [
    `mount --bind '${etc}/passwd' /etc/passwd`,
    `mount --bind '${etc}/group' /etc/group`,
    `mount --bind '${etc}' /etc/libvirt`,
    `mount --bind '${dir}/run' /run`,
    `mount --bind '${dir}/var' /var`,
  ];
  // unshare and sh exec into libvirtd, so the child's pid is libvirtd's.
  const child: ChildProcess = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-ec', `${mounts.join('\n')}\nexec libvirtd -f /etc/libvirt/libvirtd.conf`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));

  const socket = join(dir, 'run', 'libvirt', 'libvirt-sock');
  const logFile = join(dir, 'var', 'log', 'libvirt', 'libvirtd.log');
  const logTail = (lines = 20): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '');
  const daemon: LibvirtDaemon = {
    uri: `qemu:///system?socket=${socket}`,
    dir,
    logTail,
    async stop() {
      if (!gone) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };

  const until = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    if (gone) {
      const why = `${stderr.trim()}\n${logTail()}`.trim();
      await daemon.stop();
      throw new Error(`libvirtd exited at start: ${why}`);
    }
    if (existsSync(socket) && (await answers(daemon.uri))) return daemon;
    if (Date.now() > until) {
      const why = logTail();
      await daemon.stop();
      throw new Error(`libvirtd did not answer on ${socket} within ${options.timeoutMs ?? 20_000} ms: ${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function answers(uri: string): Promise<boolean> {
  return new Promise((resolve) => {
    const virsh = spawn('virsh', ['-q', '-c', uri, 'uri'], { stdio: 'ignore' });
    virsh.once('error', () => resolve(false));
    virsh.once('exit', (code) => resolve(code === 0));
  });
}
