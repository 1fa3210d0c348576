// One task at a time per key, in arrival order: two power actions on one host
// must never interleave (an `on` slipping between the `off` and its read-back
// would make a fence lie). Different keys run side by side. A task still
// waiting when its signal fires gives up with the caller's error and never runs.

export class KeyedQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /** Keys with a task running or waiting. */
  get busyKeys(): number {
    return this.#tails.size;
  }

  async run<T>(key: string, task: () => Promise<T>, options: { signal?: AbortSignal; busy: () => Error }): Promise<T> {
    const previous = this.#tails.get(key);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    // Later tasks wait for this one, and through it for every earlier one, even if this one gives up early.
    const tail = previous === undefined ? mine : previous.then(() => mine);
    this.#tails.set(key, tail);
    try {
      if (previous !== undefined) await untilSettledOrAborted(previous, options.signal, options.busy);
      return await task();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}

function untilSettledOrAborted(previous: Promise<void>, signal: AbortSignal | undefined, busy: () => Error): Promise<void> {
  if (signal === undefined) return previous;
  if (signal.aborted) return Promise.reject(busy());
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(busy());
    signal.addEventListener('abort', onAbort, { once: true });
    void previous.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
