export { createApiServer, ErrorBody, requireBearer } from './create-api-server.ts';
export type { ApiServerOptions } from './create-api-server.ts';
export { apiErrors } from './errors.ts';
export { httpsJson } from './https-client.ts';
export { readAnswer } from './read-answer.ts';
export type { HttpsAnswer, HttpsTarget } from './https-client.ts';
