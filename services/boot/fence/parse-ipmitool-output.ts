import { type DriverOutcome } from './power-driver.ts';
import { type IpmiPowerCommand } from './build-ipmitool-argv.ts';

// What one `ipmitool -I lanplus ... chassis power <command>` run meant, from its
// exit code and output (ipmitool 1.8.19, the version in Debian 12). ipmitool
// says "Error: Unable to establish IPMI v2 / RMCP+ session" both for a BMC that
// does not answer and for refused credentials; the line before it tells them
// apart (RAKP errors are the credentials), so the whole stderr is read.

export interface IpmitoolRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The process was killed because it ran past its time limit. */
  readonly timedOut?: boolean;
}

const AUTH = [/RAKP \d+ HMAC is invalid/i, /RAKP \d+ message indicates an error/i, /unauthorized name/i, /invalid user name/i, /privilege level/i, /invalid (?:session )?password/i, /authentication type .* not supported/i];
const UNREACHABLE = [/Address lookup for .* failed/i, /Get Auth Capabilities error/i, /Get Channel Authentication Capabilities/i, /Unable to establish IPMI v2 \/ RMCP\+ session/i, /No response from remote controller/i, /Unable to establish LAN session/i];

// What -v adds on every run, whatever happened: never the reason for a failure.
const NOISE = [/^Loading IANA PEN Registry/i, /^Running Get VSO Capabilities/i, /^Invalid completion code received: Invalid command$/i, /^Discovered IPMB address/i];

export function parseIpmitoolOutput(command: IpmiPowerCommand, run: IpmitoolRun): DriverOutcome {
  if (run.timedOut === true) return { ok: false, failure: { kind: 'timeout', message: `ipmitool chassis power ${command} ran out of time` } };
  const lines = `${run.stderr}\n${run.stdout}`.split('\n').map((l) => clean(l)).filter((l) => l !== '' && !NOISE.some((p) => p.test(l)));
  if (run.exitCode === 0) {
    if (command === 'status') {
      const m = /^Chassis Power is (on|off)$/i.exec(clean(run.stdout));
      if (m !== null) return { ok: true, power: m[1]!.toLowerCase() as 'on' | 'off' };
    } else {
      const expected = command === 'on' ? /^Chassis Power Control: Up\/On$/i : /^Chassis Power Control: Down\/Off$/i;
      if (expected.test(clean(run.stdout))) return { ok: true };
    }
    return { ok: false, failure: { kind: 'failed', message: `ipmitool chassis power ${command} printed something unexpected: ${lines[0] ?? '(nothing)'}` } };
  }
  const auth = firstMatch(lines, AUTH);
  if (auth !== undefined) return { ok: false, failure: { kind: 'auth', message: auth } };
  const unreachable = firstMatch(lines, UNREACHABLE);
  if (unreachable !== undefined) return { ok: false, failure: { kind: 'unreachable', message: unreachable } };
  return { ok: false, failure: { kind: 'failed', message: lines[0] ?? `ipmitool exited with ${run.exitCode ?? 'a signal'} and said nothing` } };
}

function firstMatch(lines: readonly string[], patterns: readonly RegExp[]): string | undefined {
  return lines.find((l) => patterns.some((p) => p.test(l)));
}

function clean(line: string): string {
  const printable = line.replace(/[^\x20-\x7e]/g, '').trim();
  return printable.length > 200 ? `${printable.slice(0, 197)}...` : printable;
}
