export { createApiServer, ErrorBody, requireBearer } from './create-api-server.ts';
export type { ApiServerOptions } from './create-api-server.ts';
export { apiErrors } from './errors.ts';
