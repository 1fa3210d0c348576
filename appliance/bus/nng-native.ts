/** What appliance/bus/native/src/alliance_nng.c exports (plain functions: none uses `this`). */
export interface NngNative {
  readonly init: (dispatch: (ids: Int32Array, results: Int32Array, payloads: (Buffer | undefined)[]) => void) => void;
  /** `pumped`: receives go through the addon's receive pump (see recvNow and recv). */
  readonly open: (protocol: string, pumped: boolean) => NativeSocket;
  readonly close: (socket: NativeSocket) => void;
  readonly listen: (socket: NativeSocket, url: string, options: NativeEndpointOptions) => { id: number; port: number };
  readonly dial: (socket: NativeSocket, url: string, options: NativeEndpointOptions & { block?: boolean }) => number;
  readonly listenerClose: (id: number) => void;
  readonly dialerClose: (id: number) => void;
  readonly ctxOpen: (socket: NativeSocket) => NativeContext;
  readonly ctxClose: (ctx: NativeContext) => void;
  readonly setOption: (target: NativeSocket | NativeContext, name: string, type: OptionType, value: number | boolean | string | Buffer) => void;
  readonly sendNow: (socket: NativeSocket, data: Buffer) => number;
  /** A message, or an nng error number (EAGAIN: none yet); on a pumped socket it pops the pump's ring. */
  readonly recvNow: (socket: NativeSocket) => Buffer | number;
  readonly send: (target: NativeSocket | NativeContext, data: Buffer, id: number, timeoutMs: number) => void;
  /** On a pumped socket, completes with no payload once a message may be waiting for recvNow(). */
  readonly recv: (target: NativeSocket | NativeContext, id: number, timeoutMs: number) => void;
  readonly cancel: (id: number) => boolean;
  readonly stats: () => { outstanding: number; socketsOpen: number; batches: number; completions: number };
  readonly strerror: (errno: number) => string;
}

declare const nativeSocketBrand: unique symbol;
declare const nativeContextBrand: unique symbol;
export type NativeSocket = { readonly [nativeSocketBrand]: true };
export type NativeContext = { readonly [nativeContextBrand]: true };
export type OptionType = 'ms' | 'int' | 'size' | 'bool' | 'string' | 'bytes';

export interface NativeTls {
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  readonly ca?: string | undefined;
  readonly serverName?: string | undefined;
  readonly authMode?: 'none' | 'optional' | 'required' | undefined;
}

export interface NativeEndpointOptions {
  readonly tls?: NativeTls | undefined;
  readonly ipcPermissions?: number | undefined;
  readonly recvMaxSize?: number | undefined;
}

let loading: Promise<NngNative> | undefined;

/**
 * The addon, loaded on first use so that commands without messaging never need
 * it or mbedtls. esbuild turns this import into a literal require, which pkg embeds.
 */
export function loadNngNative(): Promise<NngNative> {
  loading ??= import('alliance-nng').then(
    (mod) => mod.default as NngNative,
    (err: unknown) => {
      loading = undefined;
      throw new Error(`Cannot load the nng binding: ${(err as Error).message}; the binding needs Debian's mbedtls (apt-get install libmbedtls14)`, { cause: err });
    },
  );
  return loading;
}
