import { DEFAULT_MAX_MESSAGE_BYTES, frameEvent, unframeEvent, type EventEnvelope } from './envelope.ts';
import { NngSocket, type Endpoint, type TlsOptions } from './nng-socket.ts';

/** Publishes events on topics; publishing never waits for slow subscribers (they miss messages instead). */
export class EventPublisher {
  readonly #socket: NngSocket;
  readonly #limit: number;

  private constructor(socket: NngSocket, limit: number) {
    this.#socket = socket;
    this.#limit = limit;
  }

  static async open(options: { maxMessageBytes?: number } = {}): Promise<EventPublisher> {
    return new EventPublisher(await NngSocket.open('pub'), options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
  }

  listen(url: string, options: { tls?: TlsOptions; ipcPermissions?: number } = {}): Endpoint {
    return this.#socket.listen(url, options);
  }

  async publish(topic: string, body: unknown, now: Date = new Date()): Promise<void> {
    await this.#socket.send(frameEvent({ v: 1, t: 'evt', topic, at: now.toISOString(), body }, this.#limit));
  }

  close(): void {
    this.#socket.close();
  }
}

/** Follows events whose topic starts with one of the given prefixes. */
export class EventSubscriber {
  readonly #socket: NngSocket;
  readonly #limit: number;
  /** Frames that failed to decode: counted, skipped. */
  rejected = 0;

  private constructor(socket: NngSocket, limit: number) {
    this.#socket = socket;
    this.#limit = limit;
  }

  static async connect(url: string, prefixes: readonly string[], options: { tls?: TlsOptions; maxMessageBytes?: number } = {}): Promise<EventSubscriber> {
    const limit = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const socket = await NngSocket.open('sub', { recvMaxSize: limit, reconnectMinMs: 50, reconnectMaxMs: 2000 });
    for (const prefix of prefixes.length > 0 ? prefixes : ['']) socket.subscribe(prefix);
    socket.dial(url, { tls: options.tls });
    return new EventSubscriber(socket, limit);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<EventEnvelope> {
    for await (const frame of this.#socket) {
      try {
        yield unframeEvent(frame, this.#limit);
      } catch {
        this.rejected += 1;
      }
    }
  }

  close(): void {
    this.#socket.close();
  }
}
