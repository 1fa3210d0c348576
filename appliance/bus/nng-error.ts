// nng's error numbers (nng.h, enum nng_errno_enum), by name.
const NAMES: Readonly<Record<number, string>> = {
  1: 'EINTR', 2: 'ENOMEM', 3: 'EINVAL', 4: 'EBUSY', 5: 'ETIMEDOUT', 6: 'ECONNREFUSED', 7: 'ECLOSED', 8: 'EAGAIN',
  9: 'ENOTSUP', 10: 'EADDRINUSE', 11: 'ESTATE', 12: 'ENOENT', 13: 'EPROTO', 14: 'EUNREACHABLE', 15: 'EADDRINVAL',
  16: 'EPERM', 17: 'EMSGSIZE', 18: 'ECONNABORTED', 19: 'ECONNRESET', 20: 'ECANCELED', 21: 'ENOFILES', 22: 'ENOSPC',
  23: 'EEXIST', 24: 'EREADONLY', 25: 'EWRITEONLY', 26: 'ECRYPTO', 27: 'EPEERAUTH', 28: 'ENOARG', 29: 'EAMBIGUOUS',
  30: 'EBADTYPE', 31: 'ECONNSHUT', 1000: 'EINTERNAL',
};

export const NNG_EAGAIN = 8;
export const NNG_ECLOSED = 7;
export const NNG_ECANCELED = 20;
export const NNG_ETIMEDOUT = 5;

/** An nng failure: `code` is the name (ETIMEDOUT, ECLOSED, ...), `errno` nng's number. */
export class NngError extends Error {
  readonly errno: number;
  readonly code: string;

  constructor(errno: number, action: string, describe: (errno: number) => string) {
    const code = NAMES[errno] ?? (errno & 0x10000000 ? 'ESYSERR' : errno & 0x20000000 ? 'ETRANERR' : `E${errno}`);
    super(`Cannot ${action}: ${describe(errno)} (nng ${code})`);
    this.name = 'NngError';
    this.errno = errno;
    this.code = code;
  }
}

/** Errors thrown by the addon carry `errno`; make them NngErrors. */
export function asNngError(err: unknown, action: string, describe: (errno: number) => string): Error {
  const errno = (err as { errno?: unknown } | undefined)?.errno;
  if (typeof errno === 'number') return new NngError(errno, action, describe);
  return err instanceof Error ? err : new Error(`Cannot ${action}: ${String(err)}`);
}
