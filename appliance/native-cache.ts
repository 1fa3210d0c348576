import { accessSync, constants, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defineErrors } from './errors/index.ts';

export const runtimeErrors = defineErrors('RUNTIME', {
  NATIVE_CACHE: {
    status: 500,
    exit: 1,
    message: 'Cannot unpack the native addons to {dir}: {reason}; set PKG_NATIVE_CACHE_PATH to a directory this user can write (the image uses /var/cache/alliance)',
  },
});

/**
 * The single executable unpacks its native addons (SQLite) on first use into
 * $PKG_NATIVE_CACHE_PATH or ~/.cache (pkg's rule). A service user without a
 * writable home would otherwise fail deep inside a require with a bare EACCES.
 * Only meaningful inside the packaged executable.
 */
export function checkNativeCache(env: Readonly<Record<string, string | undefined>>, home: string): void {
  const dir = join(env.PKG_NATIVE_CACHE_PATH || join(home, '.cache'), 'pkg');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw runtimeErrors.NATIVE_CACHE({ dir, reason: (err as Error).message }, { cause: err });
  }
}
