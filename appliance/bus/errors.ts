import { defineErrors } from '../errors/index.ts';

export const busErrors = defineErrors('BUS', {
  BAD_ENVELOPE: { status: 400, exit: 1, message: 'Cannot read bus message: {problem}' },
  UNSUPPORTED_VERSION: { status: 400, exit: 1, message: 'Cannot read bus message: envelope version {version} is not supported (this side speaks {supported}); upgrade the older side' },
  TOO_LARGE: { status: 413, exit: 1, message: 'Bus message is {size} bytes, over the limit of {limit}' },
  UNKNOWN_METHOD: { status: 404, exit: 1, message: 'No bus method {method}; `alliance bus call bus.methods` lists them' },
  INVALID_PARAMS: { status: 400, exit: 1, message: 'Invalid parameters for {method}: {problem}' },
  DEADLINE: { status: 504, exit: 1, message: '{method} did not answer within {timeoutMs} ms' },
  UNREACHABLE: { status: 503, exit: 1, message: 'Cannot reach the bus at {url}: {reason}' },
  HANDLER_FAILED: { status: 500, exit: 1, message: '{method} failed (request {id}); the serving side logged why' },
  IDEMPOTENCY_CONFLICT: { status: 409, exit: 1, message: 'Idempotency key {key} was already used for a different call to {method}' },
});
