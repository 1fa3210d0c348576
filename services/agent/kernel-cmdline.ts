import { parseJoinCode } from '../../appliance/contracts/index.ts';
import { parseHostPort } from './host-port.ts';

// What the boot service puts on a network-booted host's kernel command line
// (/proc/cmdline) so the agent finds and joins its controller without a config
// file: alliance.controller=host:port alliance.join=id.secret
// alliance.fingerprint=AA:BB:... Anything there is only as trusted as the boot
// path; the join proof and the fingerprint pin are what make it safe.

export interface KernelCmdline {
  readonly controller?: string;
  readonly joinCode?: string;
  readonly fingerprint?: string;
  /** Parameters of ours that were present but unusable, said in words; the agent logs them. */
  readonly problems: readonly string[];
}

/** Far beyond any kernel's COMMAND_LINE_SIZE; a longer file is not a command line. */
const MAX_LENGTH = 65_536;
const FINGERPRINT = /^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/;

/**
 * Splits a command line the way the kernel's next_arg() does: whitespace ends
 * a parameter unless inside double quotes; quotes around the whole parameter or
 * around its value are dropped; `--` ends the kernel's part (the rest is init's).
 */
export function splitKernelCmdline(text: string): { name: string; value: string | undefined }[] {
  const params: { name: string; value: string | undefined }[] = [];
  const s = text.slice(0, MAX_LENGTH);
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i]!)) i += 1;
    if (i >= s.length) break;
    let inQuote = false;
    let token = '';
    while (i < s.length && (inQuote || !/\s/.test(s[i]!))) {
      if (s[i] === '"') inQuote = !inQuote;
      token += s[i];
      i += 1;
    }
    if (token === '--') break;
    const eq = token.indexOf('=');
    const unquote = (t: string): string => t.replace(/"/g, '');
    if (eq < 0) params.push({ name: unquote(token), value: undefined });
    else params.push({ name: unquote(token.slice(0, eq)), value: unquote(token.slice(eq + 1)) });
  }
  return params;
}

/** Our three parameters, checked; later occurrences win, as for kernel parameters. Never throws. */
export function parseKernelCmdline(text: string): KernelCmdline {
  let controller: string | undefined;
  let joinCode: string | undefined;
  let fingerprint: string | undefined;
  const problems = new Map<string, string>();
  for (const { name, value } of splitKernelCmdline(text)) {
    if (!name.startsWith('alliance.')) continue;
    const v = (value ?? '').trim();
    switch (name) {
      case 'alliance.controller':
        if (parseHostPort(v) === undefined) {
          problems.set(name, `alliance.controller="${printable(v)}" is not host:port; ignored`);
          controller = undefined;
        } else {
          problems.delete(name);
          controller = v;
        }
        break;
      case 'alliance.join':
        // The secret never goes into a problem message, even a malformed one.
        if (parseJoinCode(v) === undefined) {
          problems.set(name, 'alliance.join is not a join code (<id>.<secret>, lower-case base32); ignored');
          joinCode = undefined;
        } else {
          problems.delete(name);
          joinCode = v;
        }
        break;
      case 'alliance.fingerprint':
        if (!FINGERPRINT.test(v)) {
          problems.set(name, `alliance.fingerprint="${printable(v)}" is not a SHA-256 fingerprint (32 hex pairs joined by colons); ignored`);
          fingerprint = undefined;
        } else {
          problems.delete(name);
          fingerprint = v.toUpperCase();
        }
        break;
      default:
      // Other alliance.* parameters belong to later features; not ours to judge.
    }
  }
  return {
    ...(controller === undefined ? {} : { controller }),
    ...(joinCode === undefined ? {} : { joinCode }),
    ...(fingerprint === undefined ? {} : { fingerprint }),
    problems: [...problems.values()],
  };
}

/** At most 80 characters of printable ASCII, for quoting untrusted text in a log line. */
function printable(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 77)}...` : clean;
}
