import { defineErrors } from '../errors/index.ts';

export const apiErrors = defineErrors('API', {
  INVALID_REQUEST: { status: 400, exit: 1, message: 'Invalid request: {problem}' },
  NOT_FOUND: { status: 404, exit: 1, message: 'No route {method} {url}; see /api/v1/openapi.json for what exists' },
  UNAUTHENTICATED: { status: 401, exit: 1, message: 'Authentication required: send "Authorization: Bearer <token>"' },
  TOO_LARGE: { status: 413, exit: 1, message: 'Request body is larger than {limit} bytes' },
  UNSUPPORTED_MEDIA: { status: 415, exit: 1, message: 'Unsupported content type: send application/json' },
  UNREACHABLE: { status: 503, exit: 1, message: 'Cannot reach {url}: {reason}' },
  FINGERPRINT_MISMATCH: {
    status: 502,
    exit: 1,
    message: '{url} presented a certificate with fingerprint {found}, not the expected {expected}; if the appliance certificate was replaced on purpose, pass the new fingerprint',
  },
  INTERNAL: { status: 500, exit: 1, message: 'Internal error (request {requestId}); the appliance log has the details' },
});
