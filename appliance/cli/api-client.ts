import { httpsJson, type HttpsTarget } from '../api/index.ts';
import { AllianceError, defineErrors } from '../errors/index.ts';

export const clientErrors = defineErrors('CLIENT', {
  NOT_LOGGED_IN: { status: 401, exit: 1, message: 'Not logged in to {url}: run `alliance login {url} --user NAME`, or pass --token (or set $ALLIANCE_TOKEN) with an API key' },
  FINGERPRINT_REQUIRED: {
    status: 400,
    exit: 2,
    message: 'Cannot trust {url} yet: pass --fingerprint (or set $ALLIANCE_FINGERPRINT) with the SHA-256 fingerprint that `alliance status` shows on the appliance',
  },
  SESSION_EXPIRED: { status: 401, exit: 1, message: 'The login session for {url} has ended ({reason}); log in again with `alliance login`' },
  CREDENTIALS_UNREADABLE: { status: 500, exit: 1, message: 'Cannot use the credentials file {path}: {reason}; delete it and log in again' },
  BAD_ANSWER: { status: 502, exit: 1, message: '{url} answered {method} {path} with HTTP {status} and no Alliance error; is it an Alliance API?' },
});

/** How a client proves who it is: a token now, and possibly a fresh one when the server says it expired. */
export interface ApiAuth {
  /** The bearer token to send. */
  token(): Promise<string>;
  /** After a 401 "token expired": a fresh token, or undefined when none can be had. */
  renew?(): Promise<string | undefined>;
}

/**
 * A client of the controller REST API over HTTPS, with the server's
 * certificate trusted by CA file or pinned fingerprint (never blindly).
 * Error answers become AllianceErrors with the server's own code and message.
 */
export class ApiClient {
  readonly target: HttpsTarget;
  readonly #auth: ApiAuth | undefined;

  constructor(target: HttpsTarget, auth?: ApiAuth) {
    this.target = target;
    this.#auth = auth;
  }

  /**
   * One JSON request; `path` is absolute ('/api/v1/projects'), with any
   * segments already encoded. Resolves to the parsed answer of a 2xx.
   * @throws AllianceError with the server's APL_* code on an error answer, APL_API_UNREACHABLE, APL_API_FINGERPRINT_MISMATCH
   */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let token = this.#auth ? await this.#auth.token() : undefined;
    let answer = await this.#send(method, path, body, token);
    if (answer.status === 401 && errorCode(answer.body) === 'APL_CTRL_TOKEN_EXPIRED' && this.#auth?.renew) {
      token = await this.#auth.renew();
      if (token !== undefined) answer = await this.#send(method, path, body, token);
    }
    if (answer.status >= 200 && answer.status < 300) return answer.body as T;
    const error = (answer.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    if (typeof error?.code === 'string' && typeof error.message === 'string') {
      throw new AllianceError(error.code, { status: answer.status, exit: 1, message: error.message.replace(/[{}]/g, '') }, {});
    }
    throw clientErrors.BAD_ANSWER({ url: this.target.url, method, path: path.split('?')[0], status: answer.status });
  }

  #send(method: string, path: string, body: unknown, token: string | undefined) {
    return httpsJson(this.target, method, path, { body, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  }
}

function errorCode(body: unknown): string | undefined {
  const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Encodes one path segment (a project or user name). */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
