import { randomUUID } from 'node:crypto';
import { AllianceError } from '../errors/index.ts';
import { decodeEnvelope, DEFAULT_MAX_MESSAGE_BYTES, encodeEnvelope } from './envelope.ts';
import { busErrors } from './errors.ts';
import { NngError } from './nng-error.ts';
import { NngSocket, type TlsOptions } from './nng-socket.ts';

export interface BusClientOptions {
  readonly tls?: TlsOptions;
  readonly timeoutMs?: number;
  readonly maxMessageBytes?: number;
  /** Sent with every call, for servers whose methods ask who is calling. */
  readonly credential?: string;
}

export interface CallOptions {
  readonly timeoutMs?: number;
  /** The same key on a retried call makes the server run it once. */
  readonly idempotencyKey?: string;
  readonly signal?: AbortSignal;
}

/** Calls bus methods; each call has its own nng context, so calls run concurrently on one connection. */
export class BusClient {
  readonly url: string;
  readonly #socket: NngSocket;
  readonly #timeoutMs: number;
  readonly #limit: number;
  readonly #credential: string | undefined;

  private constructor(url: string, socket: NngSocket, options: BusClientOptions) {
    this.url = url;
    this.#socket = socket;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#limit = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#credential = options.credential;
  }

  static async connect(url: string, options: BusClientOptions = {}): Promise<BusClient> {
    const socket = await NngSocket.open('req', { recvMaxSize: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, reconnectMinMs: 50, reconnectMaxMs: 2000 });
    try {
      socket.dial(url, { tls: options.tls });
    } catch (err) {
      socket.close();
      throw busErrors.UNREACHABLE({ url, reason: (err as Error).message }, { cause: err });
    }
    return new BusClient(url, socket, options);
  }

  /**
   * Calls `method`. Resolves with its result; rejects with the server's coded
   * error as an AllianceError (same code, same message), or APL_BUS_DEADLINE.
   */
  async call<R = unknown>(method: string, params: unknown = {}, options: CallOptions = {}): Promise<R> {
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const id = randomUUID();
    const ctx = this.#socket.context({ sendTimeoutMs: timeoutMs, recvTimeoutMs: timeoutMs });
    try {
      await ctx.send(encodeEnvelope({ v: 1, t: 'req', id, method, deadline: Date.now() + timeoutMs, key: options.idempotencyKey, cred: this.#credential, params }, this.#limit), { signal: options.signal });
      const answer = decodeEnvelope(await ctx.recv({ signal: options.signal }), this.#limit);
      if (answer.t !== 'res' || answer.id !== id) throw busErrors.BAD_ENVELOPE({ problem: `answer does not match request ${id}` });
      if (answer.ok) return answer.result as R;
      // The remote message is final text: no params, so no placeholder in it is touched.
      throw new AllianceError(answer.error.code, { status: 502, exit: 1, message: answer.error.message }, {});
    } catch (err) {
      if (err instanceof NngError && err.code === 'ETIMEDOUT') throw busErrors.DEADLINE({ method, timeoutMs }, { cause: err });
      throw err;
    } finally {
      ctx.close();
    }
  }

  close(): void {
    this.#socket.close();
  }
}
