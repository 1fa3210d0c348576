import { bootErrors } from '../errors.ts';

// The argument vector of `ipmitool -I lanplus` for one chassis power command.
// The password never appears here: `-E` makes ipmitool read IPMI_PASSWORD from
// its environment (see ipmi-driver.ts). Values are checked, not quoted: none
// may look like an option. `-v` is there for its stderr: without it ipmitool
// 1.8.19 says only "Unable to establish IPMI v2 / RMCP+ session" for a wrong
// password too; with it, the RAKP line names refused credentials (measured
// against ipmi_sim). Its stdout, which is parsed, stays the same.

export interface IpmiTarget {
  /** BMC address: IPv4, IPv6 or a host name. */
  readonly host: string;
  /** UDP port; ipmitool's default is 623. */
  readonly port?: number;
  readonly user: string;
  /** RMCP+ cipher suite; ipmitool 1.8.19 defaults to 17. */
  readonly cipherSuite?: number;
}

export type IpmiPowerCommand = 'status' | 'on' | 'off';

export interface IpmitoolArgvOptions {
  /** Seconds ipmitool waits for each answer (-N). Default 2. */
  readonly timeoutS?: number;
  /** Retries of each request (-R). Default 2. */
  readonly retries?: number;
}

const HOST = /^(?:[0-9A-Fa-f:.]+|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)$/;
const USER = /^[A-Za-z0-9_.@][A-Za-z0-9_.@-]{0,15}$/;

export function buildIpmitoolArgv(target: IpmiTarget, command: IpmiPowerCommand, options: IpmitoolArgvOptions = {}): string[] {
  if (!HOST.test(target.host) || target.host.startsWith('-') || !/[0-9A-Za-z]/.test(target.host)) throw bootErrors.PARAM_INVALID({ name: 'BMC address', value: shown(target.host) });
  if (!USER.test(target.user)) throw bootErrors.PARAM_INVALID({ name: 'BMC user', value: shown(target.user) });
  const argv = ['-v', '-I', 'lanplus', '-H', target.host];
  if (target.port !== undefined) {
    if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) throw bootErrors.PARAM_INVALID({ name: 'BMC port', value: String(target.port) });
    argv.push('-p', String(target.port));
  }
  argv.push('-U', target.user, '-E');
  if (target.cipherSuite !== undefined) {
    if (!Number.isInteger(target.cipherSuite) || target.cipherSuite < 0 || target.cipherSuite > 17) throw bootErrors.PARAM_INVALID({ name: 'cipher suite', value: String(target.cipherSuite) });
    argv.push('-C', String(target.cipherSuite));
  }
  argv.push('-N', String(whole(options.timeoutS ?? 2, 'timeout')), '-R', String(whole(options.retries ?? 2, 'retries')));
  argv.push('chassis', 'power', command);
  return argv;
}

function whole(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 60) throw bootErrors.PARAM_INVALID({ name: `ipmitool ${name}`, value: String(n) });
  return n;
}

function shown(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, 80);
}
