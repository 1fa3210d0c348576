// A BMC password in memory: it prints, logs and serialises as [redacted]; only
// reveal() gives the text, at the one place it is handed to ipmitool's
// environment or an Authorization header.

const REDACTED = '[redacted]';

export class SecretValue {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret itself; call it only where it leaves for the BMC. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return REDACTED;
  }
}

/** The text with every occurrence of each secret, and any `Basic …`/`Bearer …` credentials, replaced by [redacted]. */
export function redactSecrets(text: string, secrets: readonly (SecretValue | string)[]): string {
  // One pass over all of them, longest first, so a marker is never itself redacted.
  const values = secrets.map((s) => (typeof s === 'string' ? s : s.reveal())).filter((v) => v !== '');
  values.sort((a, b) => b.length - a.length);
  const out = values.length === 0 ? text : text.replace(new RegExp(values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g'), REDACTED);
  // HTTP credentials wherever they appear, e.g. a header echoed in a transport error.
  return out.replace(/\b(basic|bearer)(\s+)[A-Za-z0-9+/=._-]{8,}/gi, `$1$2${REDACTED}`);
}
