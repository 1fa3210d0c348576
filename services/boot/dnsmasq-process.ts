import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decideRestart, type RestartPolicy } from '../../appliance/supervisor/index.ts';
import { renderDnsmasqConfig, renderLeaseHookWrapper, type DnsmasqSpec, type LeaseHookWrapperSpec } from './dnsmasq-config.ts';
import { planHostsDir, type HostRecord } from './host-records.ts';

// The one place the boot service spawns dnsmasq. It writes the rendered
// configuration, the dhcp-script wrapper (0755) and the host record files
// into a run directory, runs `dnsmasq --conf-file=<run>/dnsmasq.conf`
// (keep-in-foreground comes from the file) and restarts it when it dies,
// with the supervisor's pure back-off (decideRestart). dnsmasq drops to its
// own user (nobody) after start, so the run directory is made 0755: dnsmasq
// rereads the hosts directory and serves the TFTP root as that user.

export type DnsmasqState = 'starting' | 'running' | 'restarting' | 'failed' | 'stopped';

export interface DnsmasqStatus {
  readonly state: DnsmasqState;
  readonly pid: number | null;
  /** Times dnsmasq was started again after dying. */
  readonly restarts: number;
  /** How the last run ended, e.g. "killed by SIGKILL"; null before any ended. */
  readonly lastExit: string | null;
}

export interface DnsmasqProcessOptions {
  /** Directory for dnsmasq.conf, lease-hook, hosts/ and tftp/ (created 0755). */
  readonly runDir: string;
  /** The spec without the paths this driver owns (hostsDir, leaseHook; tftpRoot defaults to <runDir>/tftp). */
  readonly spec: Omit<DnsmasqSpec, 'hostsDir' | 'leaseHook' | 'tftpRoot'> & { readonly tftpRoot?: string };
  /** What the dhcp-script wrapper execs, e.g. { executable: '/usr/bin/alliance', args: ['boot', 'lease-hook'] }. */
  readonly hook: LeaseHookWrapperSpec;
  readonly hosts?: readonly HostRecord[];
  /** The dnsmasq executable; default `dnsmasq` from PATH. */
  readonly binary?: string;
  /** Runs dnsmasq through this prefix (e.g. ['ip', 'netns', 'exec', NS]); it must exec in place. */
  readonly prefix?: readonly string[];
  readonly policy?: RestartPolicy;
  /** Adds log-dhcp. */
  readonly logDhcp?: boolean;
  /** Each line dnsmasq logs (log-facility=- sends them to stderr). */
  readonly onLog?: (line: string) => void;
  /** Each state change. */
  readonly onState?: (status: DnsmasqStatus) => void;
}

/** Restarts within a few seconds, a dozen within a minute, then failed (the service reports it). */
export const DNSMASQ_RESTART_POLICY: RestartPolicy = { limit: 12, windowMs: 60_000, baseDelayMs: 100, maxDelayMs: 3_000 };

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `killed by ${signal}` : `exited with code ${code ?? '?'}`;
}

/** A supervised dnsmasq: start() spawns it, it is restarted when it dies, stop() ends it. */
export class DnsmasqProcess {
  readonly #options: DnsmasqProcessOptions;
  readonly #policy: RestartPolicy;
  readonly #confFile: string;
  readonly #hostsDir: string;
  #child: ChildProcess | null = null;
  #state: DnsmasqState = 'stopped';
  #restarts = 0;
  #lastExit: string | null = null;
  #failures: number[] = [];
  #timer: NodeJS.Timeout | null = null;
  #exited: Promise<void> = Promise.resolve();

  constructor(options: DnsmasqProcessOptions) {
    this.#options = options;
    this.#policy = options.policy ?? DNSMASQ_RESTART_POLICY;
    this.#confFile = join(options.runDir, 'dnsmasq.conf');
    this.#hostsDir = join(options.runDir, 'hosts');
  }

  status(): DnsmasqStatus {
    return { state: this.#state, pid: this.#child?.pid ?? null, restarts: this.#restarts, lastExit: this.#lastExit };
  }

  /** Writes the run directory and spawns dnsmasq. Throws APL_BOOT_* when the spec or a host record is invalid. */
  start(): void {
    if (this.#state !== 'stopped' && this.#state !== 'failed') return;
    const { runDir, spec, hook } = this.#options;
    const tftpRoot = spec.tftpRoot ?? join(runDir, 'tftp');
    const leaseHook = join(runDir, 'lease-hook');
    const config = renderDnsmasqConfig({ ...spec, tftpRoot, hostsDir: this.#hostsDir, leaseHook }, { logDhcp: this.#options.logDhcp === true });
    const wrapper = renderLeaseHookWrapper(hook);
    for (const dir of [runDir, this.#hostsDir, tftpRoot]) {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      chmodSync(dir, 0o755);
    }
    writeFileSync(this.#confFile, config, { mode: 0o644 });
    writeFileSync(leaseHook, wrapper, { mode: 0o755 });
    chmodSync(leaseHook, 0o755);
    this.#writeHosts(this.#options.hosts ?? []);
    this.#failures = [];
    this.#spawn('starting');
  }

  /**
   * Makes the hosts directory hold exactly these records; dnsmasq reads new
   * files itself, and gets SIGHUP when a record changed or went away.
   */
  setHosts(records: readonly HostRecord[]): void {
    if (this.#writeHosts(records)) this.reload();
  }

  /**
   * Kills dnsmasq processes left running on this configuration by an
   * appliance that was killed without stopping them: they hold the DHCP and
   * TFTP ports, so the new one could not start, and answer with hooks nobody
   * takes. Found by their command line; returns their pids.
   */
  async sweepOrphans(timeoutMs = 3_000): Promise<number[]> {
    const marker = `--conf-file=${this.#confFile}`;
    const own = this.#child?.pid;
    const orphans = listProcesses()
      .filter((p) => p.pid !== own && p.args.includes(marker))
      .map((p) => p.pid);
    for (const pid of orphans) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    const deadline = Date.now() + timeoutMs;
    while (orphans.some((pid) => existsSync(`/proc/${pid}`)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    return orphans;
  }

  /** SIGHUP: dnsmasq rereads the hosts directory. */
  reload(): void {
    if (this.#state === 'running') this.#child?.kill('SIGHUP');
  }

  /** Ends dnsmasq (SIGTERM, SIGKILL after `graceMs`) and waits for it; no restart follows. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const child = this.#child;
    this.#setState('stopped');
    if (child === null) return;
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.kill('SIGTERM');
    await this.#exited;
    clearTimeout(kill);
  }

  #writeHosts(records: readonly HostRecord[]): boolean {
    const current = new Map<string, string>();
    for (const file of readdirSync(this.#hostsDir)) current.set(file, readFileSync(join(this.#hostsDir, file), 'utf8'));
    const plan = planHostsDir(current, records);
    // Written whole then renamed into place, so dnsmasq's inotify never reads half a record.
    for (const { file, content } of plan.writes) {
      const temp = join(this.#options.runDir, `.${file}.tmp`);
      writeFileSync(temp, content, { mode: 0o644 });
      renameSync(temp, join(this.#hostsDir, file));
    }
    for (const file of plan.deletes) rmSync(join(this.#hostsDir, file), { force: true });
    return plan.reload;
  }

  #spawn(state: 'starting' | 'restarting'): void {
    const [command, ...prefixArgs] = [...(this.#options.prefix ?? []), this.#options.binary ?? 'dnsmasq'];
    const child = spawn(command, [...prefixArgs, `--conf-file=${this.#confFile}`, '--pid-file'], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    let buffered = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) this.#options.onLog?.(line);
    });
    this.#exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        if (buffered !== '') this.#options.onLog?.(buffered);
        this.#onExit(child, describeExit(code, signal));
        resolve();
      });
    });
    child.once('error', (err) => this.#options.onLog?.(`cannot run dnsmasq: ${err.message}`));
    this.#setState(state);
    child.once('spawn', () => {
      if (this.#child === child && this.#state !== 'stopped') this.#setState('running');
    });
  }

  #onExit(child: ChildProcess, how: string): void {
    if (this.#child !== child) return;
    this.#child = null;
    this.#lastExit = how;
    if (this.#state === 'stopped') {
      this.#options.onState?.(this.status());
      return;
    }
    const decision = decideRestart(this.#failures, Date.now(), this.#policy);
    this.#failures = [...decision.recentFailures];
    if (decision.action === 'give-up') {
      this.#setState('failed');
      return;
    }
    this.#setState('restarting');
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#state !== 'restarting') return;
      this.#restarts += 1;
      this.#spawn('restarting');
    }, decision.delayMs);
  }

  #setState(state: DnsmasqState): void {
    this.#state = state;
    this.#options.onState?.(this.status());
  }
}

/** Every process with its arguments, from /proc; ones that vanish while read are left out. */
export function listProcesses(): { pid: number; args: string[] }[] {
  const found: { pid: number; args: string[] }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      found.push({ pid: Number(entry), args: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0') });
    } catch {
      /* exited meanwhile */
    }
  }
  return found;
}
