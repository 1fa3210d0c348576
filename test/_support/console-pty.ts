// Drives a full-screen program (the real `dist/alliance console`) in a pseudo
// terminal and reads its screen the way an operator sees it: node-pty runs the
// program, @xterm/headless interprets every byte it writes.
import xterm from '@xterm/headless';
import { type IPty, spawn } from 'node-pty';
import { binaryPath, cleanEnv, ROOT } from './appliance-process.ts';

export interface ConsoleScreen {
  /** The visible screen as rows of text (trailing spaces trimmed), exactly rows long. */
  lines(): string[];
  /** lines().join('\n') */
  text(): string;
  /** Waits until the screen text matches (string = substring), or fails with the screen dumped in the error. */
  waitFor(match: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Waits until the screen text no longer matches, or fails with the screen dumped in the error. */
  waitForGone(match: string | RegExp, timeoutMs?: number): Promise<void>;
  /**
   * Sends keys: plain text, or named keys from KEYS. The cursor keys follow the
   * program's cursor-key mode (ESC O A once it asked for application mode), as a terminal does.
   */
  press(...keys: string[]): void;
  /** Resizes the terminal and the pseudo terminal; the program gets SIGWINCH. */
  resize(cols: number, rows: number): void;
  /** Every byte the program wrote, for asserting e.g. that ASCII mode never emits a non-ASCII byte. */
  raw(): Buffer;
  /** Resolves when the program has exited and everything it wrote is on the screen. */
  readonly exited: Promise<{ exitCode: number; signal?: number }>;
  /** Hangs the terminal up (SIGHUP, SIGKILL after 2 s) if the program still runs, then disposes the terminal. */
  close(): Promise<void>;
}

export interface OpenConsoleOptions {
  /** 80 unless given. */
  cols?: number;
  /** 24 unless given. */
  rows?: number;
  /** cleanEnv() unless given; TERM is xterm-256color unless this sets it. */
  env?: Record<string, string>;
  /** Runs the program under `ip netns exec NS` (which execs in place). */
  netns?: string;
  /** The program; dist/alliance unless given. */
  command?: string;
}

const CSI = '\x1b[';
// F1-F4 are SS3 sequences; F5-F12 skip 16 and 22, as xterm numbers them.
const FUNCTION_KEYS = ['\x1bOP', '\x1bOQ', '\x1bOR', '\x1bOS', ...[15, 17, 18, 19, 20, 21, 23, 24].map((n) => `${CSI}${n}~`)];

/** What xterm sends for each key (normal cursor-key mode; press() switches to application mode when the program asked). */
export const KEYS = {
  enter: '\r',
  tab: '\t',
  shiftTab: `${CSI}Z`,
  escape: '\x1b',
  backspace: '\x7f',
  delete: `${CSI}3~`,
  up: `${CSI}A`,
  down: `${CSI}B`,
  right: `${CSI}C`,
  left: `${CSI}D`,
  home: `${CSI}H`,
  end: `${CSI}F`,
  pageUp: `${CSI}5~`,
  pageDown: `${CSI}6~`,
  /** F1 to F12. */
  f(n: number): string {
    const key = FUNCTION_KEYS[n - 1];
    if (key === undefined) throw new RangeError(`KEYS.f(${n}): there are F1 to F12`);
    return key;
  },
  /** Ctrl with a letter or one of @[\]^_ (ctrl('c') is ETX, what Ctrl-C sends). */
  ctrl(key: string): string {
    const code = key.toUpperCase().charCodeAt(0);
    if (key.length !== 1 || code < 0x40 || code > 0x5f) throw new RangeError(`KEYS.ctrl(${JSON.stringify(key)}): a letter or one of @[\\]^_`);
    return String.fromCharCode(code & 0x1f);
  },
} as const;

const APPLICATION_CURSOR: Readonly<Record<string, string>> = {
  [KEYS.up]: '\x1bOA',
  [KEYS.down]: '\x1bOB',
  [KEYS.right]: '\x1bOC',
  [KEYS.left]: '\x1bOD',
  [KEYS.home]: '\x1bOH',
  [KEYS.end]: '\x1bOF',
};

const DEFAULT_TIMEOUT_MS = 15_000;
// Screens that change without new output (a resize) are noticed by this poll.
const POLL_MS = 50;
const KILL_AFTER_MS = 2_000;

const open = new Set<IPty>();
// Every test file is its own process: a program it left running goes when it ends.
process.once('exit', () => {
  for (const pty of open) pty.kill('SIGKILL');
});

function describeMatch(match: string | RegExp): string {
  return typeof match === 'string' ? JSON.stringify(match) : String(match);
}

function matches(text: string, match: string | RegExp): boolean {
  if (typeof match === 'string') return text.includes(match);
  match.lastIndex = 0;
  return match.test(text);
}

/**
 * Starts `command args` (dist/alliance unless told) in a pseudo terminal of
 * cols x rows, from the repository root. close() it; a test file that forgets
 * still ends, as its program is killed when the process exits.
 */
export function openConsole(args: readonly string[], options: OpenConsoleOptions = {}): ConsoleScreen {
  let cols = options.cols ?? 80;
  let rows = options.rows ?? 24;
  const command = options.command ?? binaryPath();
  const [file, argv] = options.netns === undefined ? [command, [...args]] : ['ip', ['netns', 'exec', options.netns, command, ...args]];
  const term = new xterm.Terminal({ cols, rows, allowProposedApi: true, scrollback: 1000 });
  // encoding null: the program's bytes as they are, for raw() and for xterm to decode.
  const env = { TERM: 'xterm-256color', ...(options.env ?? cleanEnv()) };
  // node-pty sets TERM to `name`.
  const pty = spawn(file, argv, { name: env.TERM, cols, rows, cwd: ROOT, env, encoding: null });
  open.add(pty);
  const chunks: Buffer[] = [];
  const watchers = new Set<() => void>();
  const notify = (): void => {
    for (const watcher of [...watchers]) watcher();
  };
  let disposed = false;
  let ended: { exitCode: number; signal?: number } | undefined;
  term.onWriteParsed(notify);
  (pty.onData as unknown as (listener: (data: Buffer) => void) => void)((data) => {
    chunks.push(data);
    if (!disposed) term.write(data);
  });
  const exited = new Promise<{ exitCode: number; signal?: number }>((resolve) => {
    pty.onExit(({ exitCode, signal }) => {
      open.delete(pty);
      const result = signal ? { exitCode, signal } : { exitCode };
      const finish = (): void => {
        ended = result;
        notify();
        resolve(result);
      };
      // node-pty reports the exit after the last data; xterm parses what it was given, then this.
      if (disposed) finish();
      else term.write('', finish);
    });
  });

  const lines = (): string[] => {
    const buffer = term.buffer.active;
    // translateToString(true) trims only cells never written; a written space is trimmed too.
    return Array.from({ length: rows }, (_, i) => (buffer.getLine(buffer.baseY + i)?.translateToString(true) ?? '').replace(/ +$/, ''));
  };
  const text = (): string => lines().join('\n');
  const dump = (): string => {
    const buffer = term.buffer.active;
    const border = `+${'-'.repeat(cols)}+`;
    const status = ended === undefined ? 'running' : `exited ${JSON.stringify(ended)}`;
    return [`screen ${cols}x${rows}, cursor at row ${buffer.cursorY + 1} column ${buffer.cursorX + 1}, program ${status}:`, border, ...lines().map((l) => `|${l}`), border].join('\n');
  };

  const waitUntil = (done: () => boolean, what: string, timeoutMs: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (done()) stop(() => resolve());
        else if (ended !== undefined || disposed) stop(() => reject(new Error(`${what}: the program ended first; ${dump()}`)));
      };
      const stop = (then: () => void): void => {
        clearTimeout(deadline);
        clearInterval(poll);
        watchers.delete(check);
        then();
      };
      const deadline = setTimeout(() => stop(() => reject(new Error(`${what}: not within ${timeoutMs} ms; ${dump()}`))), timeoutMs);
      const poll = setInterval(check, POLL_MS);
      watchers.add(check);
      check();
    });

  return {
    lines,
    text,
    waitFor(match, timeoutMs = DEFAULT_TIMEOUT_MS) {
      return waitUntil(() => matches(text(), match), `waitFor(${describeMatch(match)})`, timeoutMs);
    },
    waitForGone(match, timeoutMs = DEFAULT_TIMEOUT_MS) {
      return waitUntil(() => !matches(text(), match), `waitForGone(${describeMatch(match)})`, timeoutMs);
    },
    press(...keys) {
      const application = term.modes.applicationCursorKeysMode;
      pty.write(keys.map((key) => (application ? (APPLICATION_CURSOR[key] ?? key) : key)).join(''));
    },
    resize(newCols, newRows) {
      cols = newCols;
      rows = newRows;
      term.resize(cols, rows);
      if (open.has(pty)) pty.resize(cols, rows);
      notify();
    },
    raw() {
      return Buffer.concat(chunks);
    },
    exited,
    async close() {
      const kill = open.has(pty) ? setTimeout(() => pty.kill('SIGKILL'), KILL_AFTER_MS) : undefined;
      if (kill !== undefined) pty.kill('SIGHUP');
      await exited;
      clearTimeout(kill);
      if (!disposed) {
        disposed = true;
        notify();
        term.dispose();
      }
    },
  };
}
