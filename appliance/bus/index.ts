export { NNG_ECLOSED, NNG_ETIMEDOUT, NngError } from './nng-error.ts';
export { NngContext, NngSocket, nngStats } from './nng-socket.ts';
export type { Endpoint, OperationOptions, Protocol, SocketOptions, TlsOptions } from './nng-socket.ts';
