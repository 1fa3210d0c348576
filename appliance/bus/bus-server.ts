import { createHash } from 'node:crypto';
import { encode } from '@msgpack/msgpack';
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { isAllianceError } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import { decodeEnvelope, DEFAULT_MAX_MESSAGE_BYTES, encodeEnvelope, type RequestEnvelope, type ResponseEnvelope, type WireError } from './envelope.ts';
import { busErrors } from './errors.ts';
import { NngError } from './nng-error.ts';
import { NngSocket, type Endpoint, type NngContext, type TlsOptions } from './nng-socket.ts';

export interface MethodContext {
  /** Aborted when the caller's deadline passes. */
  readonly signal: AbortSignal;
  readonly deadline: number;
  readonly requestId: string;
  /** What the caller sent as its credential (BusClientOptions.credential); methods that need one check it. */
  readonly credential: string | undefined;
}

export interface MethodDefinition<P extends TSchema = TSchema, R extends TSchema = TSchema> {
  readonly description: string;
  readonly params: P;
  readonly result: R;
  readonly handler: (params: Static<P>, ctx: MethodContext) => Static<R> | Promise<Static<R>>;
}

/** A method with its types erased, as the server keeps it (the schemas still check every call). */
export interface Method {
  readonly description: string;
  readonly params: TSchema;
  readonly result: TSchema;
  readonly handler: (params: never, ctx: MethodContext) => unknown;
}

/** Ties the handler's parameter and result types to its schemas, then erases them for the registry. */
export function defineMethod<P extends TSchema, R extends TSchema>(definition: MethodDefinition<P, R>): Method {
  return definition;
}

export interface BusServerOptions {
  readonly log: Logger;
  /** Requests served at once (one nng context each). */
  readonly workers?: number;
  readonly maxMessageBytes?: number;
  /** Retried requests (same idempotency key) answered from memory for this long. */
  readonly idempotencyTtlMs?: number;
  readonly idempotencyEntries?: number;
  /**
   * Called once per answered request with the method (or "unknown", so a
   * peer cannot invent label values), "ok" or the error code, and seconds taken.
   */
  readonly onAnswer?: (method: string, outcome: string, seconds: number) => void;
}

interface Compiled {
  readonly definition: Method;
  readonly params: TypeCheck<TSchema>;
}

type Outcome = { ok: true; result: unknown } | { ok: false; error: WireError };

interface Remembered {
  readonly paramsHash: string;
  readonly outcome: Promise<Outcome>;
  readonly at: number;
}

/**
 * Request/reply methods on an nng rep socket. Every request is decoded,
 * checked against its method's schema and answered, whatever it contains:
 * bad input gets a coded error answer, never a crash.
 */
export class BusServer {
  readonly #socket: NngSocket;
  readonly #methods = new Map<string, Compiled>();
  readonly #log: Logger;
  readonly #limit: number;
  readonly #ttl: number;
  readonly #maxRemembered: number;
  readonly #onAnswer: BusServerOptions['onAnswer'];
  readonly #remembered = new Map<string, Remembered>();
  readonly #workers: Promise<void>[] = [];
  #closed = false;

  private constructor(socket: NngSocket, methods: Readonly<Record<string, Method>>, options: BusServerOptions) {
    this.#socket = socket;
    this.#log = options.log;
    this.#limit = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#ttl = options.idempotencyTtlMs ?? 10 * 60_000;
    this.#maxRemembered = options.idempotencyEntries ?? 4096;
    this.#onAnswer = options.onAnswer;
    for (const [name, definition] of Object.entries(methods)) {
      this.#methods.set(name, { definition, params: TypeCompiler.Compile(definition.params) });
    }
  }

  static async open(methods: Readonly<Record<string, Method>>, options: BusServerOptions): Promise<BusServer> {
    const socket = await NngSocket.open('rep', { recvMaxSize: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES });
    const server = new BusServer(socket, methods, options);
    for (let i = 0; i < (options.workers ?? 16); i += 1) {
      server.#workers.push(server.#work(socket.context()));
    }
    return server;
  }

  /** Serves on another address: ipc/inproc locally, tls+tcp between machines. */
  listen(url: string, options: { tls?: TlsOptions; ipcPermissions?: number } = {}): Endpoint {
    return this.#socket.listen(url, { ...options, recvMaxSize: this.#limit });
  }

  /** Names, descriptions and schemas of the methods, for `bus.methods`. */
  describe(): { name: string; description: string; params: unknown; result: unknown }[] {
    return [...this.#methods].map(([name, { definition }]) => ({ name, description: definition.description, params: definition.params, result: definition.result }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close();
    await Promise.allSettled(this.#workers);
  }

  async #work(ctx: NngContext): Promise<void> {
    while (!this.#closed) {
      let raw: Buffer;
      try {
        raw = await ctx.recv({ timeoutMs: -1 });
      } catch (err) {
        if (this.#closed || (err instanceof NngError && err.code === 'ECLOSED')) return;
        this.#log.warn({ err: (err as Error).message }, 'bus receive failed');
        continue;
      }
      const answer = await this.handle(raw);
      try {
        await ctx.send(answer, { timeoutMs: 10_000 });
      } catch (err) {
        if (this.#closed) return;
        this.#log.debug({ err: (err as Error).message }, 'bus answer not delivered (caller gone)');
      }
    }
  }

  /** One raw request in, one encoded answer out. Never throws. Exposed for tests. */
  async handle(raw: Uint8Array): Promise<Buffer> {
    const started = performance.now();
    let request: RequestEnvelope;
    try {
      const envelope = decodeEnvelope(raw, this.#limit);
      if (envelope.t !== 'req') throw busErrors.BAD_ENVELOPE({ problem: `expected a request, got "${envelope.t}"` });
      request = envelope;
    } catch (err) {
      const error = toWire(err);
      this.#onAnswer?.('unknown', error.code, (performance.now() - started) / 1000);
      return this.#encode({ v: 1, t: 'res', id: '', ok: false, error });
    }
    const outcome = await this.#outcome(request);
    this.#onAnswer?.(this.#methods.has(request.method) ? request.method : 'unknown', outcome.ok ? 'ok' : outcome.error.code, (performance.now() - started) / 1000);
    return this.#encode(outcome.ok ? { v: 1, t: 'res', id: request.id, ok: true, result: outcome.result } : { v: 1, t: 'res', id: request.id, ok: false, error: outcome.error });
  }

  #outcome(request: RequestEnvelope): Promise<Outcome> {
    if (request.key === undefined) return this.#run(request);
    const now = Date.now();
    for (const [key, entry] of this.#remembered) {
      if (now - entry.at < this.#ttl && this.#remembered.size <= this.#maxRemembered) break;
      this.#remembered.delete(key);
    }
    // Keyed by caller too: one caller's key never answers another's request.
    const memoKey = `${request.method}\u0000${request.cred ?? ''}\u0000${request.key}`;
    const paramsHash = createHash('sha256').update(encode(request.params)).digest('hex');
    const seen = this.#remembered.get(memoKey);
    if (seen) {
      if (seen.paramsHash !== paramsHash) return Promise.resolve({ ok: false, error: toWire(busErrors.IDEMPOTENCY_CONFLICT({ key: request.key, method: request.method })) });
      // A retry that arrives while the first attempt still runs waits for it, and runs again if it failed.
      return seen.outcome.then((first) => (first.ok ? first : this.#outcome(request)));
    }
    const outcome = this.#run(request);
    this.#remembered.set(memoKey, { paramsHash, outcome, at: now });
    // Only a success is worth repeating: after a failure (a missed deadline, say) a retry must run again.
    void outcome.then((result) => {
      if (!result.ok && this.#remembered.get(memoKey)?.outcome === outcome) this.#remembered.delete(memoKey);
    });
    return outcome;
  }

  async #run(request: RequestEnvelope): Promise<Outcome> {
    const compiled = this.#methods.get(request.method);
    if (!compiled) return { ok: false, error: toWire(busErrors.UNKNOWN_METHOD({ method: request.method })) };
    const left = request.deadline - Date.now();
    if (left <= 0) return { ok: false, error: toWire(busErrors.DEADLINE({ method: request.method, timeoutMs: 0 })) };
    if (!compiled.params.Check(request.params)) {
      const first = compiled.params.Errors(request.params).First();
      const where = first?.path.split('/').filter(Boolean).join('.') || 'params';
      return { ok: false, error: toWire(busErrors.INVALID_PARAMS({ method: request.method, problem: `${where}: ${first?.message.toLowerCase() ?? 'does not match the schema'}` })) };
    }
    try {
      const signal = AbortSignal.timeout(left);
      const result = await compiled.definition.handler(request.params as never, { signal, deadline: request.deadline, requestId: request.id, credential: request.cred });
      // The caller has given up by now; an answer after its deadline would contradict what it saw.
      if (signal.aborted) return { ok: false, error: toWire(busErrors.DEADLINE({ method: request.method, timeoutMs: left })) };
      // Like a response schema: fields the result does not declare never leave.
      return { ok: true, result: Value.Clean(compiled.definition.result, Value.Clone(result)) };
    } catch (err) {
      if (!isAllianceError(err)) this.#log.error({ method: request.method, id: request.id, err }, 'bus method failed');
      return { ok: false, error: isAllianceError(err) ? toWire(err) : toWire(busErrors.HANDLER_FAILED({ method: request.method, id: request.id })) };
    }
  }

  #encode(answer: ResponseEnvelope): Buffer {
    try {
      return encodeEnvelope(answer, this.#limit);
    } catch (err) {
      return encodeEnvelope({ v: 1, t: 'res', id: answer.id, ok: false, error: toWire(err) });
    }
  }
}

function toWire(err: unknown): WireError {
  if (isAllianceError(err)) return { code: err.code, message: err.message };
  return { code: 'APL_BUS_HANDLER_FAILED', message: 'the method failed; the serving side logged why' };
}
