import { defineErrors } from '../../../appliance/errors/index.ts';

// What the agent's instance metadata can fail at: the NoCloud seed it writes
// for a domain's cdrom, and the IMDSv2 tokens of the metadata endpoint. An
// unknown caller or path is the API's plain 404 (APL_API_NOT_FOUND), so the
// endpoint tells a stranger nothing about which instances exist.
export const metadataErrors = defineErrors('METADATA', {
  SEED_FAILED: {
    status: 500,
    exit: 1,
    message: 'Cannot write the NoCloud seed {path}: {reason}; check that genisoimage is installed (apt-get install genisoimage) and the instance directory is writable',
  },
  TOKEN_TTL_INVALID: {
    status: 400,
    exit: 1,
    message: 'Cannot issue a metadata token: X-aws-ec2-metadata-token-ttl-seconds is "{ttl}"; send a whole number of seconds from 1 to 21600',
  },
  TOKEN_FORWARDED: {
    status: 403,
    exit: 1,
    message: 'Cannot issue a metadata token to a request carrying X-Forwarded-For: tokens are only for the instance itself, not for a proxy in front of it',
  },
  TOKEN_INVALID: {
    status: 401,
    exit: 1,
    message: 'The metadata token is unknown, expired or was issued to another address; PUT /latest/api/token for a new one, or send no token',
  },
});
