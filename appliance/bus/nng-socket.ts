import { asNngError, NNG_EAGAIN, NNG_ECANCELED, NNG_ETIMEDOUT, NngError } from './nng-error.ts';
import { loadNngNative, type NativeContext, type NativeEndpointOptions, type NativeSocket, type NativeTls, type NngNative, type OptionType } from './nng-native.ts';

export type Protocol = 'req' | 'rep' | 'pub' | 'sub' | 'push' | 'pull' | 'surveyor' | 'respondent' | 'bus' | 'pair1';

export type TlsOptions = NativeTls;

export interface SocketOptions {
  readonly recvTimeoutMs?: number;
  readonly sendTimeoutMs?: number;
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  /** Largest message accepted from a peer, bytes; larger ones drop the connection. 0 = unlimited. */
  readonly recvMaxSize?: number;
  /** Messages queued per direction before send waits (back-pressure) or receive stops reading. */
  readonly sendBuffer?: number;
  readonly recvBuffer?: number;
  readonly surveyTimeMs?: number;
  readonly resendTimeMs?: number;
  readonly tcpNoDelay?: boolean;
}

const OPTION_NAMES: Readonly<Record<keyof SocketOptions, readonly [string, OptionType]>> = {
  recvTimeoutMs: ['recv-timeout', 'ms'],
  sendTimeoutMs: ['send-timeout', 'ms'],
  reconnectMinMs: ['reconnect-time-min', 'ms'],
  reconnectMaxMs: ['reconnect-time-max', 'ms'],
  recvMaxSize: ['recv-size-max', 'size'],
  sendBuffer: ['send-buffer', 'int'],
  recvBuffer: ['recv-buffer', 'int'],
  surveyTimeMs: ['surveyor:survey-time', 'ms'],
  resendTimeMs: ['req:resend-time', 'ms'],
  tcpNoDelay: ['tcp-nodelay', 'bool'],
};

export interface OperationOptions {
  /** Milliseconds; undefined uses the socket's timeout, -1 waits forever. */
  readonly timeoutMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface Endpoint {
  readonly id: number;
  /** The bound TCP port (useful with port 0), else 0. */
  readonly port: number;
  close(): void;
}

const DEFAULT_TIMEOUT = -2; // NNG_DURATION_DEFAULT: the socket's own timeout

// libnng 1.5.2's rep (and respondent, built the same way) forgets whom to answer
// when a non-blocking send gives up with EAGAIN, so the asynchronous retry fails
// with ESTATE and the answer is lost. Their sends always go the asynchronous way.
const REPLY_PROTOCOLS: ReadonlySet<Protocol> = new Set(['rep', 'respondent']);

// Sockets whose receives the addon pumps into a ring of its own (libnng 1.5.2's
// pull reads a pipe's next message only once the last one is taken, which kept
// a receiver in lockstep with the JS thread). recvNow() pops that ring; an
// asynchronous receive there only waits until it may hold a message. open()
// tells the addon which sockets these are.
const PUMPED_PROTOCOLS: ReadonlySet<Protocol> = new Set(['pull', 'sub']);

interface Pending {
  readonly resolve: (payload: Buffer | undefined) => void;
  readonly reject: (err: Error) => void;
  readonly action: string;
  /** Only for operations with an AbortSignal: what to undo when they settle. */
  readonly signal?: AbortSignal;
  readonly onAbort?: () => void;
}

/**
 * Completion routing: the addon hands every finished asynchronous operation
 * back in batches to one dispatcher; operations are keyed by a numeric id.
 * This is the hot path: no closure or promise per operation beyond the one
 * returned, unless an AbortSignal asks for more.
 */
class Completions {
  readonly native: NngNative;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  constructor(native: NngNative) {
    this.native = native;
    native.init((ids, results, payloads) => {
      for (let i = 0; i < ids.length; i += 1) {
        const op = this.#pending.get(ids[i]!);
        if (!op) continue;
        this.#pending.delete(ids[i]!);
        if (op.signal) op.signal.removeEventListener('abort', op.onAbort!);
        const rv = results[i]!;
        if (rv === 0) op.resolve(payloads[i]);
        else if (rv === NNG_ECANCELED && op.signal?.aborted) op.reject(abortError(op.signal));
        else op.reject(new NngError(rv, op.action, native.strerror));
      }
    });
  }

  start(action: string, begin: (id: number) => void, signal: AbortSignal | undefined): Promise<Buffer | undefined> {
    const id = this.#nextId;
    this.#nextId = this.#nextId >= 0x7fffffff ? 1 : this.#nextId + 1;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      let onAbort: (() => void) | undefined;
      if (signal) {
        onAbort = () => void this.native.cancel(id);
        signal.addEventListener('abort', onAbort, { once: true });
      }
      this.#pending.set(id, { resolve, reject, action, signal, onAbort });
      try {
        begin(id);
      } catch (err) {
        this.#pending.delete(id);
        if (signal && onAbort) signal.removeEventListener('abort', onAbort);
        reject(asNngError(err, action, this.native.strerror));
      }
    });
  }

  get pending(): number {
    return this.#pending.size;
  }
}

let completions: Promise<Completions> | undefined;
function engine(): Promise<Completions> {
  completions ??= loadNngNative().then((native) => new Completions(native));
  return completions;
}

/** Counters of the binding, for leak checks and the batching figure. */
export async function nngStats(): Promise<{ outstanding: number; socketsOpen: number; batches: number; completions: number; pendingPromises: number }> {
  const e = await engine();
  return { ...e.native.stats(), pendingPromises: e.pending };
}

function applyOptions(native: NngNative, target: NativeSocket | NativeContext, options: SocketOptions): void {
  for (const [key, value] of Object.entries(options) as [keyof SocketOptions, number | boolean | undefined][]) {
    if (value === undefined) continue;
    const known = OPTION_NAMES[key];
    if (!known) throw new TypeError(`Cannot set socket option ${String(key)}: unknown option`);
    native.setOption(target, known[0], known[1], value);
  }
}

/** Operations shared by sockets and contexts: async send and receive through nng's aio. */
abstract class Channel {
  protected readonly engine: Completions;
  protected readonly target: NativeSocket | NativeContext;

  protected constructor(engine: Completions, target: NativeSocket | NativeContext) {
    this.engine = engine;
    this.target = target;
  }

  protected sendAsync(data: Uint8Array, options: OperationOptions): Promise<void> {
    const buf = toBuffer(data);
    // A send completes with no payload: the promise resolves with undefined.
    return this.engine.start('send', (id) => this.engine.native.send(this.target, buf, id, options.timeoutMs ?? DEFAULT_TIMEOUT), options.signal) as Promise<void>;
  }

  protected recvAsync(options: OperationOptions): Promise<Buffer> {
    // A successful receive always carries a Buffer (empty for an empty message).
    return this.engine.start('receive', (id) => this.engine.native.recv(this.target, id, options.timeoutMs ?? DEFAULT_TIMEOUT), options.signal) as Promise<Buffer>;
  }

  abstract close(): void;

  /** Changes options of an open socket or context. */
  set(options: SocketOptions): void {
    this.setOptions(options);
  }

  /** Applies options to a channel just opened; on failure it is closed, not leaked. */
  protected configure(options: SocketOptions): this {
    try {
      this.setOptions(options);
    } catch (err) {
      this.close();
      throw err;
    }
    return this;
  }

  protected setOptions(options: SocketOptions): void {
    try {
      applyOptions(this.engine.native, this.target, options);
    } catch (err) {
      throw asNngError(err, 'set option', this.engine.native.strerror);
    }
  }

  /** Subscribe and unsubscribe; failures (a closed socket, a protocol without topics) are NngErrors like the rest. */
  protected setBytes(name: string, value: string | Uint8Array): void {
    try {
      this.engine.native.setOption(this.target, name, 'bytes', toBuffer(value));
    } catch (err) {
      throw asNngError(err, `set ${name}`, this.engine.native.strerror);
    }
  }
}

/**
 * An nng socket. send() and recv() first try nng without blocking on the JS
 * thread (no round trip through nng's threads when a message can move at once)
 * and fall back to asynchronous I/O otherwise; order is kept because the fast
 * path is skipped while asynchronous operations are pending.
 */
export class NngSocket extends Channel {
  readonly protocol: Protocol;
  readonly #socket: NativeSocket;
  #closed = false;
  #pendingSends = 0;
  #pendingRecvs = 0;
  /** Pumped sockets: the last receive in line, and how many are waiting. */
  #pumpTurn: Promise<unknown> = Promise.resolve();
  #pumpWaiting = 0;
  /** The socket's recv-timeout as last set (nng's default: for ever), for pumped receives' deadlines. */
  #recvTimeoutMs = -1;
  // Bound once: counting settled operations must not cost a closure each.
  readonly #sendSettled = (): void => {
    this.#pendingSends -= 1;
  };
  readonly #recvSettled = (): void => {
    this.#pendingRecvs -= 1;
  };

  private constructor(engine: Completions, socket: NativeSocket, protocol: Protocol) {
    super(engine, socket);
    this.#socket = socket;
    this.protocol = protocol;
  }

  static async open(protocol: Protocol, options: SocketOptions = {}): Promise<NngSocket> {
    const e = await engine();
    let native: NativeSocket;
    try {
      native = e.native.open(protocol, PUMPED_PROTOCOLS.has(protocol));
    } catch (err) {
      throw asNngError(err, `open a ${protocol} socket`, e.native.strerror);
    }
    return new NngSocket(e, native, protocol).configure(options);
  }

  get closed(): boolean {
    return this.#closed;
  }

  listen(url: string, options: NativeEndpointOptions = {}): Endpoint {
    try {
      const { id, port } = this.engine.native.listen(this.#socket, url, options);
      return { id, port, close: () => this.engine.native.listenerClose(id) };
    } catch (err) {
      throw asNngError(err, `listen on ${url}`, this.engine.native.strerror);
    }
  }

  /** Connects in the background and keeps reconnecting; `block` waits for the first connection. */
  dial(url: string, options: NativeEndpointOptions & { block?: boolean } = {}): Endpoint {
    try {
      const id = this.engine.native.dial(this.#socket, url, options);
      return { id, port: 0, close: () => this.engine.native.dialerClose(id) };
    } catch (err) {
      throw asNngError(err, `dial ${url}`, this.engine.native.strerror);
    }
  }

  subscribe(prefix: string | Uint8Array = ''): void {
    this.setBytes('sub:subscribe', prefix);
  }

  unsubscribe(prefix: string | Uint8Array = ''): void {
    this.setBytes('sub:unsubscribe', prefix);
  }

  /** A context: its own request/reply or survey state on this socket, so many can run at once. */
  context(options: SocketOptions = {}): NngContext {
    return NngContext.on(this.engine, this.#socket, options);
  }

  send(data: Uint8Array | string, options: OperationOptions = {}): Promise<void> {
    const buf = toBuffer(data);
    if (this.#pendingSends === 0 && options.signal === undefined && !this.#closed && !REPLY_PROTOCOLS.has(this.protocol)) {
      const rv = this.engine.native.sendNow(this.#socket, buf);
      if (rv === 0) return Promise.resolve();
      if (rv !== NNG_EAGAIN) return Promise.reject(new NngError(rv, 'send', this.engine.native.strerror));
    }
    this.#pendingSends += 1;
    const sending = this.sendAsync(buf, options);
    sending.then(this.#sendSettled, this.#sendSettled);
    return sending;
  }

  recv(options: OperationOptions = {}): Promise<Buffer> {
    if (PUMPED_PROTOCOLS.has(this.protocol)) return this.#recvPumped(options);
    if (this.#pendingRecvs === 0 && options.signal === undefined && !this.#closed) {
      const got = this.engine.native.recvNow(this.#socket);
      if (typeof got !== 'number') return Promise.resolve(got);
      if (got !== NNG_EAGAIN) return Promise.reject(new NngError(got, 'receive', this.engine.native.strerror));
    }
    this.#pendingRecvs += 1;
    const receiving = this.recvAsync(options);
    receiving.then(this.#recvSettled, this.#recvSettled);
    return receiving;
  }

  /**
   * A message from the pump's ring, waiting for one (the pump wakes the wait)
   * while it is empty. Receives take turns in call order, as nng serves them on
   * other sockets; the timeout counts from the call, including the wait for a turn.
   */
  #recvPumped(options: OperationOptions): Promise<Buffer> {
    const pop = (): Buffer | undefined => {
      let got: Buffer | number;
      try {
        got = this.engine.native.recvNow(this.#socket);
      } catch (err) {
        throw asNngError(err, 'receive', this.engine.native.strerror);
      }
      if (typeof got !== 'number') return got;
      if (got !== NNG_EAGAIN) throw new NngError(got, 'receive', this.engine.native.strerror);
      return undefined;
    };
    // First in line: the ring may hold a message now; otherwise the wait starts at once.
    const first = this.#pumpWaiting === 0;
    if (first && options.signal?.aborted !== true) {
      let now: Buffer | undefined;
      try {
        now = pop();
      } catch (err) {
        return Promise.reject(asNngError(err, 'receive', this.engine.native.strerror));
      }
      if (now !== undefined) return Promise.resolve(now);
    }
    const timeout = options.timeoutMs === undefined || options.timeoutMs === DEFAULT_TIMEOUT ? this.#recvTimeoutMs : options.timeoutMs;
    const deadline = timeout >= 0 ? performance.now() + timeout : undefined;
    const timedOut = () => new NngError(NNG_ETIMEDOUT, 'receive', this.engine.native.strerror);
    const turn = this.#pumpTurn;
    this.#pumpWaiting += 1;
    const mine = (async () => {
      try {
        if (!first) await untilTurn(turn, deadline, options.signal, timedOut);
        for (let popped = first; ; popped = false) {
          if (options.signal?.aborted === true) throw abortError(options.signal);
          const got = popped ? undefined : pop();
          if (got !== undefined) return got;
          const left = deadline === undefined ? -1 : Math.ceil(deadline - performance.now());
          if (deadline !== undefined && left <= 0) throw timedOut();
          await this.recvAsync({ timeoutMs: left, signal: options.signal });
        }
      } finally {
        this.#pumpWaiting -= 1;
      }
    })();
    // The next in line goes after this one and everything ahead of it: one that
    // timed out waiting for its turn must not let the next overtake those ahead.
    this.#pumpTurn = Promise.allSettled([turn, mine]).then(() => undefined); // holds no message
    return mine;
  }

  protected override setOptions(options: SocketOptions): void {
    super.setOptions(options);
    if (options.recvTimeoutMs !== undefined) this.#recvTimeoutMs = options.recvTimeoutMs;
  }

  /** Messages until the socket closes. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    while (!this.#closed) {
      try {
        yield await this.recv({ timeoutMs: -1 });
      } catch (err) {
        if (this.#closed) return;
        throw err;
      }
    }
  }

  /** Closes the socket; pending operations fail with ECLOSED. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.engine.native.close(this.#socket);
  }
}

export class NngContext extends Channel {
  readonly #ctx: NativeContext;
  /**
   * Never read: holding the socket's handle keeps the garbage collector from
   * finalizing (and so closing) the socket while only its contexts are in use.
   */
  readonly #socket: NativeSocket;
  #closed = false;

  private constructor(engine: Completions, ctx: NativeContext, socket: NativeSocket) {
    super(engine, ctx);
    this.#ctx = ctx;
    this.#socket = socket;
  }

  static on(engine: Completions, socket: NativeSocket, options: SocketOptions): NngContext {
    let ctx: NativeContext;
    try {
      ctx = engine.native.ctxOpen(socket);
    } catch (err) {
      throw asNngError(err, 'open a context', engine.native.strerror);
    }
    return new NngContext(engine, ctx, socket).configure(options);
  }

  send(data: Uint8Array | string, options: OperationOptions = {}): Promise<void> {
    return this.sendAsync(toBuffer(data), options);
  }

  recv(options: OperationOptions = {}): Promise<Buffer> {
    return this.recvAsync(options);
  }

  subscribe(prefix: string | Uint8Array = ''): void {
    this.setBytes('sub:subscribe', prefix);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.engine.native.ctxClose(this.#ctx);
  }
}

/** Resolves when `turn` settles; rejects at the deadline or on abort, whichever comes first. */
function untilTurn(turn: Promise<unknown>, deadline: number | undefined, signal: AbortSignal | undefined, timedOut: () => Error): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortError(signal));
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      done();
      reject(abortError(signal!));
    };
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (deadline !== undefined) {
      timer = setTimeout(() => {
        done();
        reject(timedOut());
      }, Math.max(0, deadline - performance.now()));
    }
    void turn.then(() => {
      done();
      resolve();
    });
  });
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted', 'AbortError');
}

function toBuffer(data: Uint8Array | string): Buffer {
  if (typeof data === 'string') return Buffer.from(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
