import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** What one virsh command printed. */
export interface VirshOutput {
  readonly stdout: string;
  /** The `error: ` lines virsh printed for this command, without the prefix; empty when it succeeded. */
  readonly errors: readonly string[];
}

interface Pending {
  readonly marker: string;
  readonly resolve: (out: VirshOutput) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

// virsh echoes the prompt and each command line it reads on stdout; these are dropped.
const PROMPT_LINE = /virsh [#>] [^\n]*(\n|$)/g;

/**
 * One interactive `virsh -c <uri>` process fed commands on stdin. One
 * process means one connection: the test:///default driver keeps its fake
 * host per connection, and qemu:///system is spared a connect per command.
 * After each command two `echo` commands print a marker on stdout and on
 * stderr; the command is done when both have come back. Commands run one at
 * a time in the order given.
 */
export class VirshSession {
  readonly #uri: string;
  readonly #timeoutMs: number;
  readonly #child: ChildProcessWithoutNullStreams;
  #stdout = '';
  #stderr = '';
  #queue: Pending[] = [];
  #exited: string | undefined;
  #counter = 0;
  readonly #nonce = randomBytes(6).toString('hex');

  constructor(uri: string, options: { virsh?: string; timeoutMs?: number } = {}) {
    this.#uri = uri;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    // TERM=dumb keeps readline from writing terminal escapes into the output.
    this.#child = spawn(options.virsh ?? 'virsh', ['-q', '-c', uri], { env: { ...process.env, TERM: 'dumb', LC_ALL: 'C' }, stdio: 'pipe' });
    this.#child.stdout.setEncoding('utf8').on('data', (text: string) => {
      this.#stdout += text;
      this.#settle();
    });
    this.#child.stderr.setEncoding('utf8').on('data', (text: string) => {
      this.#stderr += text;
      this.#settle();
    });
    this.#child.stdin.on('error', () => undefined); // an exited virsh shows as 'exit' below
    this.#child.on('error', (err) => this.#fail(err.message));
    this.#child.on('exit', (code, signal) => this.#fail(`virsh exited (${signal ?? `code ${code}`})${this.#stderrTail()}`));
  }

  get alive(): boolean {
    return this.#exited === undefined;
  }

  /** Runs one command; rejects with a plain Error when virsh is gone or does not answer in time. */
  run(args: readonly string[]): Promise<VirshOutput> {
    if (this.#exited !== undefined) return Promise.reject(new Error(this.#exited));
    const line = args.map(quoteArg).join(' ');
    this.#counter += 1;
    const marker = `__alliance_${this.#nonce}_${this.#counter}__`;
    // The quotes split the marker in the command line, so only the echo's output holds it whole.
    const [head, tail] = [marker.slice(0, 4), marker.slice(4)];
    const text = `${line}\necho '${head}'${tail}\necho --err '${head}'${tail}\n`;
    return new Promise<VirshOutput>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fail(`virsh did not finish \`${line}\` within ${this.#timeoutMs} ms`);
        this.#child.kill('SIGKILL');
      }, this.#timeoutMs);
      timer.unref();
      this.#queue.push({ marker, resolve, reject, timer });
      this.#child.stdin.write(text);
    });
  }

  close(): void {
    if (this.#exited === undefined) this.#child.stdin.end();
    this.#fail('the virsh session was closed');
  }

  #settle(): void {
    for (;;) {
      const head = this.#queue[0];
      if (head === undefined) return;
      const out = this.#stdout.indexOf(head.marker);
      const errMarker = `error: ${head.marker}\n`;
      const err = this.#stderr.indexOf(errMarker);
      if (out < 0 || err < 0) return;
      const stdout = this.#stdout.slice(0, out).replace(PROMPT_LINE, '');
      const errors = this.#stderr
        .slice(0, err)
        .split('\n')
        .filter((l) => l.startsWith('error: '))
        .map((l) => l.slice('error: '.length));
      this.#stdout = this.#stdout.slice(out + head.marker.length);
      this.#stderr = this.#stderr.slice(err + errMarker.length);
      this.#queue.shift();
      clearTimeout(head.timer);
      head.resolve({ stdout, errors });
    }
  }

  #fail(reason: string): void {
    this.#exited ??= reason;
    for (const p of this.#queue.splice(0)) {
      clearTimeout(p.timer);
      p.reject(new Error(reason));
    }
  }

  #stderrTail(): string {
    const last = this.#stderr.trim().split('\n').slice(-2).join(' ').trim();
    return last === '' ? '' : `: ${last}`;
  }

  get uri(): string {
    return this.#uri;
  }
}

/** One argument for virsh's own command parser: plain words as they are, the rest single-quoted. */
function quoteArg(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  // Inside single quotes virsh takes everything literally up to the next quote; a newline would end the command.
  if (/['\n\r]/.test(arg)) throw new TypeError(`Cannot pass ${JSON.stringify(arg)} to virsh: it holds a quote or a line break`);
  return `'${arg}'`;
}
