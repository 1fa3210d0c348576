import { readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { writeFileAtomic } from '../files/index.ts';
import { clientErrors } from './api-client.ts';

// What `alliance login` keeps between commands: where the API is, how its
// certificate is trusted, and the session's tokens. One file, mode 0600, in
// $ALLIANCE_CREDENTIALS or ~/.config/alliance/credentials.json.

export const CredentialsSchema = Type.Object({
  version: Type.Literal(1),
  url: Type.String(),
  /** SHA-256 fingerprint pinned at login, or null when a CA file is trusted instead. */
  fingerprint: Type.Union([Type.String(), Type.Null()]),
  /** A PEM file trusted for the API (the local appliance's own certificate), or null. */
  caFile: Type.Union([Type.String(), Type.Null()]),
  user: Type.String(),
  scope: Type.String(),
  project: Type.Union([Type.String(), Type.Null()]),
  accessToken: Type.String(),
  refreshToken: Type.String(),
  expiresAt: Type.String(),
  refreshExpiresAt: Type.String(),
});
export type Credentials = Static<typeof CredentialsSchema>;

/** Refresh this long before the access token runs out, so a request never carries a token about to expire. */
const REFRESH_MARGIN_MS = 30_000;

export const DEFAULT_API_URL = 'https://localhost:8443';

/** Where credentials live: $ALLIANCE_CREDENTIALS, else $XDG_CONFIG_HOME or ~/.config, /alliance/credentials.json. Pure. */
export function credentialsPath(env: Readonly<Record<string, string | undefined>>): string {
  if (env.ALLIANCE_CREDENTIALS) return env.ALLIANCE_CREDENTIALS;
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(config, 'alliance', 'credentials.json');
}

/**
 * The kept credentials, or undefined when there are none.
 * @throws AllianceError APL_CLIENT_CREDENTIALS_UNREADABLE for a file that is not ours
 */
export function readCredentials(path: string): Credentials | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw clientErrors.CREDENTIALS_UNREADABLE({ path, reason: (err as Error).message }, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw clientErrors.CREDENTIALS_UNREADABLE({ path, reason: 'it is not JSON' });
  }
  if (!Value.Check(CredentialsSchema, parsed)) {
    const first = Value.Errors(CredentialsSchema, parsed).First();
    throw clientErrors.CREDENTIALS_UNREADABLE({ path, reason: `${first?.path || 'the file'} ${first?.message ?? 'is not a credentials record'}` });
  }
  return parsed;
}

/** Writes the credentials atomically, readable by this user only. */
export function writeCredentials(path: string, credentials: Credentials): void {
  writeFileAtomic(path, `${JSON.stringify(credentials, null, 2)}\n`, 0o600);
}

/** Forgets the credentials; false when there were none. */
export function removeCredentials(path: string): boolean {
  try {
    rmSync(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** What to do about the session's tokens now. Pure. */
export function sessionState(credentials: Pick<Credentials, 'expiresAt' | 'refreshExpiresAt'>, now: Date): 'fresh' | 'refresh' | 'ended' {
  const t = now.getTime();
  if (Date.parse(credentials.refreshExpiresAt) <= t) return 'ended';
  return Date.parse(credentials.expiresAt) - REFRESH_MARGIN_MS <= t ? 'refresh' : 'fresh';
}

/** An API URL as kept: https://host[:port], no path. Pure. */
export function normaliseApiUrl(text: string): string {
  const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
  if (url.protocol !== 'https:') throw new TypeError(`Cannot use API URL ${text}: only https:// is spoken`);
  return url.origin;
}

/** Whether a URL names this machine, whose own certificate file can then be trusted. Pure. */
export function isLocalUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '127.0.0.1' || host === '::1';
}

/** A fingerprint as `alliance status` prints it (upper-case hex pairs with colons), or undefined if it is not one. Pure. */
export function normaliseFingerprint(text: string): string | undefined {
  const hex = text.replace(/^sha-?256\s*/i, '').replace(/[:\s]/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return undefined;
  return hex.match(/../g)!.join(':');
}
