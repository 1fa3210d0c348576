// Avahi, a real mDNS stack, on a test network (netns.ts), for the discovery
// interop tests (test/appliance/discovery/). avahi-daemon serves its clients over
// the D-Bus system bus, whose socket path is the same in every network namespace;
// so the daemon runs in a mount namespace of its own, with a tmpfs over /run and
// a bus of its own there, and its clients are entered into that namespace.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, tempDir } from './appliance-process.ts';
import { createTestNetwork, type TestHost, type TestNetwork } from './netns.ts';

/** Only a guard against a hung test: what never comes fails the test instead of blocking the run. */
export const DEADLINE_MS = 15_000;

/** The discovery module's entry point, as a file URL a script outside the repository can import. */
export const DISCOVERY_MODULE = pathToFileURL(join(ROOT, 'appliance', 'discovery', 'index.ts')).href;

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has ended: the exit code, or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * Resolves with the first result of `check(stdout, stderr)` that is not
   * undefined, tried again on every output; rejects, with all the output, when
   * the process ends first or nothing comes within `ms`.
   */
  until<T>(check: (stdout: string, stderr: string) => T | undefined, what: string, ms?: number): Promise<T>;
  /** How the process ended; rejects, with all the output, when it still runs after `ms`. */
  ended(what: string, ms?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal if the process still runs. */
  signal(signal: NodeJS.Signals): void;
}

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * Spawns a process whose output is collected. setpriv's parent-death signal (kept
 * across the execs of ip, unshare and nsenter) ends it should this test process
 * die without cleaning up, so no daemon outlives a crashed run.
 */
function spawnProc(name: string, command: readonly string[]): Proc {
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', ...command], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.on('close', (code, signal) => done({ code, signal }));
  });
  const describe = () => `${name}: stdout ${JSON.stringify(out)}, stderr ${JSON.stringify(err)}`;
  return {
    name,
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    until<T>(check: (stdout: string, stderr: string) => T | undefined, what: string, ms = DEADLINE_MS): Promise<T> {
      return new Promise<T>((done, fail) => {
        const finish = (settle: () => void): void => {
          clearTimeout(timer);
          child.stdout.off('data', look);
          child.stderr.off('data', look);
          settle();
        };
        const look = (): void => {
          let result: T | undefined;
          try {
            result = check(out, err);
          } catch (e) {
            return finish(() => fail(e instanceof Error ? e : new Error(String(e))));
          }
          if (result !== undefined) finish(() => done(result));
        };
        const timer = setTimeout(() => finish(() => fail(new Error(`${what}: not within ${ms} ms; ${describe()}`))), ms);
        // Registered after the collectors above, so `out` and `err` already hold the chunk.
        child.stdout.on('data', look);
        child.stderr.on('data', look);
        void exited.then(({ code, signal }) => finish(() => fail(new Error(`${what}: ${name} ended (${code ?? signal}) first; ${describe()}`))));
        look();
      });
    },
    async ended(what: string, ms = DEADLINE_MS) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, fail) => {
        timer = setTimeout(() => fail(new Error(`${what}: still running after ${ms} ms; ${describe()}`)), ms);
      });
      return Promise.race([exited, late]).finally(() => clearTimeout(timer));
    },
    signal(signal: NodeJS.Signals): void {
      if (running(child)) child.kill(signal);
    },
  };
}

// Only eth0: the bridge is the one link. disallow-other-stacks=no (the default,
// said here because it matters) lets other mDNS stacks share port 5353.
const AVAHI_CONFIG = `[server]
use-ipv4=yes
use-ipv6=yes
allow-interfaces=eth0
enable-dbus=yes
disallow-other-stacks=no

[publish]
publish-workstation=no
publish-hinfo=no
`;

export interface Avahi {
  readonly host: TestHost;
  /** The host name the daemon registered, e.g. "vm.local". */
  readonly hostName: string;
  readonly daemon: Proc;
}

export interface AvahiLab {
  readonly net: TestNetwork;
  /** avahi-daemon on the first host. */
  readonly avahi: Avahi;
  /** Runs an avahi client (avahi-browse, avahi-publish) against the daemon. */
  avahiClient(name: string, args: readonly string[]): Proc;
  /** Runs `source`, an ES module (Node with tsx), in a host's network namespace. */
  node(host: TestHost, name: string, source: string): Proc;
}

/**
 * Starts avahi-daemon, with a D-Bus system bus of its own, in `host`'s network
 * namespace, and resolves once it reports its startup complete.
 *
 * unshare makes the mount namespace and a PID namespace: the daemon is its init,
 * so when unshare is killed (--kill-child), the daemon goes and the bus with it.
 * unshare is itself in the new mount namespace, so nsenter --target it reaches
 * the daemon's bus.
 */
async function startAvahi(host: TestHost, dir: string, started: Proc[]): Promise<Avahi> {
  const config = join(dir, 'avahi-daemon.conf');
  writeFileSync(config, AVAHI_CONFIG);
  const script = [
    'set -e',
    'exec 2>&1',
    // A fresh /run: the bus socket, the bus and daemon pid files, avahi's socket.
    'mount -t tmpfs -o mode=0755 alliance-avahi /run',
    'mkdir /run/dbus /run/avahi-daemon',
    'dbus-daemon --system --nofork --nopidfile &',
    // avahi-daemon connects to the bus once, when it starts.
    'while [ ! -S /run/dbus/system_bus_socket ]; do sleep 0.05; done',
    `exec avahi-daemon --no-drop-root --no-chroot --no-rlimits -f ${config}`,
  ].join('\n');
  const daemon = spawnProc(`avahi-daemon in ${host.ns}`, ['ip', 'netns', 'exec', host.ns, 'unshare', '--mount', '--propagation', 'private', '--pid', '--kill-child', 'sh', '-c', script]);
  started.push(daemon);
  const hostName = await daemon.until((out) => /Server startup complete\. Host name is (\S+)\. /.exec(out)?.[1], 'avahi-daemon to start up');
  return { host, hostName, daemon };
}

/**
 * Runs `body` on a fresh network of `hosts` hosts with avahi-daemon on the first;
 * afterwards, also when the body fails, every process started through the lab is
 * killed (and awaited) and the network and temporary files are removed.
 */
export async function withAvahiLab(hosts: number, body: (lab: AvahiLab) => Promise<void>): Promise<void> {
  const net = createTestNetwork('avahi', hosts, 78);
  const dir = tempDir('avahi-interop');
  const started: Proc[] = [];
  try {
    const avahi = await startAvahi(net.hosts[0]!, dir, started);
    const target = String(avahi.daemon.child.pid);
    const lab: AvahiLab = {
      net,
      avahi,
      avahiClient(name, args) {
        const proc = spawnProc(name, ['nsenter', '--target', target, '--mount', '--net', '--', name, ...args]);
        started.push(proc);
        return proc;
      },
      node(host, name, source) {
        const file = join(dir, `${name}.mts`);
        writeFileSync(file, source);
        const proc = spawnProc(`${name} in ${host.ns}`, ['ip', 'netns', 'exec', host.ns, process.execPath, '--import', 'tsx', file]);
        started.push(proc);
        return proc;
      },
    };
    await body(lab);
  } finally {
    // Clients first, the daemon last (the reverse of starting).
    for (const proc of started.reverse()) {
      proc.signal('SIGKILL');
      await proc.exited;
    }
    net.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One line of `avahi-browse --parsable`: + new, - removed, = resolved. */
export interface BrowseLine {
  readonly event: '+' | '-' | '=';
  readonly iface: string;
  readonly protocol: 'IPv4' | 'IPv6';
  readonly name: string;
  readonly type: string;
  readonly domain: string;
  /** Only on resolved (=) lines. */
  readonly host?: string;
  readonly address?: string;
  readonly port?: number;
  readonly txt?: readonly string[];
}

/**
 * Undoes avahi's escaping: "\." and "\\" for themselves, "\DDD" for any other
 * byte that is not a letter, digit, - or _ (one byte at a time, so UTF-8 too).
 */
export function unescapeAvahi(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; ) {
    const digits = text[i] === '\\' ? /^\d{3}/.exec(text.slice(i + 1)) : null;
    if (digits !== null) {
      bytes.push(Number(digits[0]));
      i += 4;
    } else if (text[i] === '\\') {
      bytes.push(...Buffer.from(text[i + 1] ?? '', 'utf8'));
      i += 2;
    } else {
      const ch = String.fromCodePoint(text.codePointAt(i)!);
      bytes.push(...Buffer.from(ch, 'utf8'));
      i += ch.length;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The lines of `avahi-browse --parsable` output, complete lines only, names unescaped. */
export function parseBrowse(output: string): BrowseLine[] {
  const complete = output.slice(0, output.lastIndexOf('\n') + 1);
  return complete
    .split('\n')
    .filter((line) => /^[-+=];/.test(line))
    .map((line): BrowseLine => {
      // Names escape ";" (as \059), so only the TXT field, the last, can hold one.
      const [event, iface, protocol, name, type, domain, host, address, port, ...txt] = line.split(';');
      const base = { event: event as BrowseLine['event'], iface: iface!, protocol: protocol as BrowseLine['protocol'], name: unescapeAvahi(name!), type: type!, domain: domain! };
      if (event !== '=') return base;
      // Each TXT string in double quotes, with " and \ escaped like names.
      const strings = [...txt.join(';').matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => unescapeAvahi(m[1]!));
      return { ...base, host: host!, address: address!, port: Number(port), txt: strings };
    });
}
