import { bootErrors } from './errors.ts';

// The kernel command line of a network-booted host: the alliance.* parameters
// that services/agent/kernel-cmdline.ts parses (controller, join code, TLS
// fingerprint pin) plus the console and any plain extra parameters. The line is
// placed inside an iPXE `kernel` command, so every value is checked against a
// closed alphabet: no whitespace, quotes, `$` or `{}` can reach the script.

/** What goes on the command line; undefined parameters are left out. */
export interface KernelParams {
  /** `host:port` of the controller's HTTPS API; IPv6 in brackets. */
  readonly controller: string;
  /** `<id>.<secret>` in lower-case base32, a bounded join token. */
  readonly joinCode?: string;
  /** SHA-256 of the controller's certificate: 32 hex pairs joined by colons. */
  readonly fingerprint?: string;
  /** Kernel consoles in order; the last one is /dev/console. Default: tty0 then ttyS0,115200n8. */
  readonly consoles?: readonly string[];
  /** Further `name` or `name=value` parameters (e.g. `quiet`), same alphabet. */
  readonly extra?: readonly string[];
}

const CONTROLLER = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?):(\d{1,5})$/;
const JOIN_CODE = /^[a-z2-7]{8,32}\.[a-z2-7]{32,64}$/;
const FINGERPRINT = /^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/;
const CONSOLE = /^[A-Za-z0-9]{1,16}(,[A-Za-z0-9]{1,16})?$/;
/** A parameter the kernel splits as one word and iPXE expands to itself. */
const PARAM = /^[A-Za-z0-9_.-]{1,64}(=[A-Za-z0-9_.,:/@+-]{0,256})?$/;
const DEFAULT_CONSOLES = ['tty0', 'ttyS0,115200n8'];

/** The whole command line, parameters in a fixed order; throws APL_BOOT_PARAM_INVALID naming the bad one. */
export function renderKernelCmdline(params: KernelParams): string {
  const words: string[] = [];
  const m = CONTROLLER.exec(params.controller);
  const port = m === null ? 0 : Number(m[1]);
  if (port < 1 || port > 65535) throw invalid('alliance.controller', params.controller);
  words.push(`alliance.controller=${params.controller}`);
  if (params.joinCode !== undefined) {
    if (!JOIN_CODE.test(params.joinCode)) throw invalid('alliance.join', '<hidden>');
    words.push(`alliance.join=${params.joinCode}`);
  }
  if (params.fingerprint !== undefined) {
    if (!FINGERPRINT.test(params.fingerprint)) throw invalid('alliance.fingerprint', params.fingerprint);
    words.push(`alliance.fingerprint=${params.fingerprint.toUpperCase()}`);
  }
  for (const c of params.consoles ?? DEFAULT_CONSOLES) {
    if (!CONSOLE.test(c)) throw invalid('console', c);
    words.push(`console=${c}`);
  }
  for (const p of params.extra ?? []) {
    if (!PARAM.test(p) || p.startsWith('alliance.') || p.startsWith('console=') || p.startsWith('initrd=')) throw invalid('extra', p);
    words.push(p);
  }
  return words.join(' ');
}

function invalid(name: string, value: string) {
  const shown = value.replace(/[^\x20-\x7e]/g, '?').slice(0, 80);
  return bootErrors.PARAM_INVALID({ name, value: shown });
}
