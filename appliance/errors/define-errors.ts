// One catalogue per module: each entry becomes an AllianceError factory with a
// stable code APL_<AREA>_<WHAT>, an HTTP status and a process exit code.
// Codes are never reused; test/appliance/errors/catalogue.test.ts checks them
// against docs/errors.md.

export type ExitCode = 1 | 2;

export interface ErrorSpec {
  /** HTTP status when the error crosses an API. */
  readonly status: number;
  /** Process exit code when the error ends a command: 2 usage/config, 1 runtime. */
  readonly exit: ExitCode;
  /** Message template; `{name}` is replaced by params.name. Say what failed, then what to do. */
  readonly message: string;
}

export type ErrorParams = Readonly<Record<string, string | number | bigint | boolean | undefined>>;

export class AllianceError extends Error {
  readonly code: string;
  readonly status: number;
  readonly exitCode: ExitCode;
  readonly params: ErrorParams;

  constructor(code: string, spec: ErrorSpec, params: ErrorParams, options?: { cause?: unknown }) {
    super(renderTemplate(spec.message, params), options);
    this.name = 'AllianceError';
    this.code = code;
    this.status = spec.status;
    this.exitCode = spec.exit;
    this.params = params;
  }
}

export interface CatalogueEntry extends ErrorSpec {
  readonly code: string;
}

type Factories<T extends Record<string, ErrorSpec>> = {
  readonly [K in keyof T]: (params?: ErrorParams, options?: { cause?: unknown }) => AllianceError;
};

const catalogue = new Map<string, CatalogueEntry>();

/** Every code defined so far, for the docs check. */
export function listErrorCodes(): CatalogueEntry[] {
  return [...catalogue.values()];
}

export function defineErrors<const T extends Record<string, ErrorSpec>>(area: string, specs: T): Factories<T> {
  if (!/^[A-Z][A-Z0-9]*$/.test(area)) throw new TypeError(`Cannot define errors for area "${area}": area must be upper case`);
  const factories: Record<string, (params?: ErrorParams, options?: { cause?: unknown }) => AllianceError> = {};
  for (const [what, spec] of Object.entries(specs)) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(what)) throw new TypeError(`Cannot define error ${area}.${what}: name must be UPPER_SNAKE`);
    const code = `APL_${area}_${what}`;
    if (catalogue.has(code)) throw new TypeError(`Cannot define error ${code}: code is already defined`);
    catalogue.set(code, { code, ...spec });
    factories[what] = (params = {}, options) => new AllianceError(code, spec, params, options);
  }
  return factories as Factories<T>;
}

export function isAllianceError(err: unknown, code?: string): err is AllianceError {
  return err instanceof AllianceError && (code === undefined || err.code === code);
}

function renderTemplate(template: string, params: ErrorParams): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    return value === undefined ? whole : String(value);
  });
}

/** A short, single-line description of any thrown value, for logs and CLI output. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.name;
  return String(err);
}
