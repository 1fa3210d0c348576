import { type SystemForm, type SystemSettings } from '../../../appliance/contracts/index.ts';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { runCommand, firstLine, runChecked, type CommandRunner } from './_run-command.ts';
import { readSystemFile, systemFiles, writeSystemFile, type SystemPaths } from './_system-files.ts';
import { parseResolvConf, parseTimesyncdDropIn, renderHostsFile, renderResolvConf, renderTimesyncdDropIn } from './system-settings.ts';

// The edge that applies the system form: host name, DNS and NTP files written
// atomically, then the live host name and systemd-timesyncd.

export interface ApplySystemOptions {
  readonly paths: SystemPaths;
  readonly run?: CommandRunner;
  /** Set the live host name and restart timesyncd too; by default only when etcDir is /etc (never a developer's machine from a test directory). */
  readonly live?: boolean;
  /** Whether systemd runs (timesyncd can be restarted); detected from /run/systemd/system when omitted. */
  readonly systemd?: boolean;
}

/**
 * Writes /etc/hostname, the 127.0.1.1 line of /etc/hosts, resolv.conf (when
 * DNS servers are given; none leaves it as it is) and the timesyncd drop-in,
 * then sets the live host name and try-restarts systemd-timesyncd when systemd
 * runs. A failed restart is reported in the lines, not thrown; a failed write
 * or `hostname` is thrown. Answers one line per thing done.
 */
export async function applySystemSettings(settings: SystemSettings, options: ApplySystemOptions): Promise<readonly string[]> {
  const files = systemFiles(options.paths);
  const run = options.run ?? runCommand;
  const live = options.live ?? options.paths.etcDir === '/etc';
  const lines: string[] = [];

  writeSystemFile(files.hostname, `${settings.hostname}\n`);
  writeSystemFile(files.hosts, renderHostsFile(readSystemFile(files.hosts), settings.hostname));
  if (live) {
    await runChecked(run, ['hostname', settings.hostname], 'set the host name');
    lines.push(`host name is ${settings.hostname} (${files.hostname}, ${files.hosts})`);
  } else {
    lines.push(`host name ${settings.hostname} written to ${files.hostname} and ${files.hosts}; it takes effect at the next boot`);
  }

  if (settings.dns.length > 0) {
    writeSystemFile(files.resolvConf, renderResolvConf(settings.dns));
    lines.push(`DNS servers ${settings.dns.join(', ')} (${files.resolvConf})`);
  } else {
    lines.push(`DNS servers unchanged: none given (${files.resolvConf} is as it was)`);
  }

  writeSystemFile(files.timesyncd, renderTimesyncdDropIn(settings.ntp));
  const ntp = settings.ntp.length > 0 ? `NTP servers ${settings.ntp.join(', ')}` : "NTP servers: timesyncd's defaults";
  if (!live || !(options.systemd ?? existsSync('/run/systemd/system'))) {
    lines.push(`${ntp} (${files.timesyncd}); they take effect when systemd-timesyncd starts`);
  } else {
    const result = await run('systemctl', ['try-restart', 'systemd-timesyncd.service'], { timeoutMs: 10_000 });
    lines.push(result.code === 0 ? `${ntp} (${files.timesyncd}); systemd-timesyncd restarted` : `${ntp} (${files.timesyncd}); systemd-timesyncd was not restarted: ${firstLine(result)}`);
  }
  return lines;
}

/** The system form as the machine has it now: the live host name, and the servers resolv.conf and our timesyncd drop-in name. */
export function readSystemForm(paths: SystemPaths): SystemForm {
  const files = systemFiles(paths);
  return { hostname: hostname(), dns: parseResolvConf(readSystemFile(files.resolvConf)).join(', '), ntp: parseTimesyncdDropIn(readSystemFile(files.timesyncd)).join(', ') };
}
