import { defineErrors } from '../../../appliance/errors/index.ts';

// Hosts and their enrolment: operator routes, POST /api/v1/enrolments and the
// agent-facing bus methods. Every code has a row in docs/errors.md under "HOSTS:".
export const hostsErrors = defineErrors('HOSTS', {
  BOOT_UNAVAILABLE: { status: 503, exit: 1, message: 'Cannot list the machines that network-booted: the boot service did not answer ({reason}); `alliance status` shows whether it runs' },
  NO_COMPUTE: { status: 404, exit: 1, message: 'Host {host} asked for an image, but this controller runs no compute feature' },
  NOT_FOUND: { status: 404, exit: 1, message: 'No host {host}; `alliance hosts list` shows the hosts this controller knows' },
  WRONG_STATE: { status: 409, exit: 1, message: 'Cannot {action} host {host}: it is {state}; {hint}' },
  TOO_MANY_LABELS: { status: 400, exit: 1, message: 'Cannot label host {host}: it would have {count} labels, at most {max} are allowed; remove some with "name": null' },
  JOIN_TOKEN_NOT_FOUND: { status: 404, exit: 1, message: 'No join token {token}; `alliance join-tokens list` shows them' },
  BAD_HOST_KEY: { status: 400, exit: 1, message: 'Cannot enrol: hostKey is not an Ed25519 public key in SPKI PEM ({reason}); send the agent identity key' },
  BAD_TLS_KEY: { status: 400, exit: 1, message: 'Cannot enrol host {host}: tlsKey is not an ECDSA P-256 public key in SPKI PEM ({reason}); send the key the bus certificate is for' },
  BAD_SIGNATURE: { status: 401, exit: 1, message: 'Cannot enrol host {host}: the signature does not verify with its host key; the request was changed on the way or signed with another key' },
  STALE_REQUEST: {
    status: 401,
    exit: 1,
    message: 'Cannot enrol host {host}: its timestamp is {skewSeconds} s away from the controller clock, at most {maxSeconds} s are allowed; set the clocks of host and controller right (NTP) and try again',
  },
  REPLAYED: { status: 401, exit: 1, message: 'Cannot enrol host {host}: this exact request was seen before; each request needs a fresh nonce and signature' },
  UNKNOWN_JOIN_TOKEN: { status: 401, exit: 1, message: 'Cannot enrol host {host}: there is no join token {token}; check the join code, or create one with `alliance join-tokens create`' },
  BAD_JOIN_PROOF: { status: 401, exit: 1, message: 'Cannot enrol host {host}: the join proof does not match join token {token}; the secret part of the join code is wrong' },
  JOIN_TOKEN_EXPIRED: { status: 403, exit: 1, message: 'Cannot enrol host {host}: join token {token} has expired; create another with `alliance join-tokens create`' },
  JOIN_TOKEN_REVOKED: { status: 403, exit: 1, message: 'Cannot enrol host {host}: join token {token} was revoked; create another with `alliance join-tokens create`' },
  JOIN_TOKEN_USED_UP: { status: 403, exit: 1, message: 'Cannot enrol host {host}: join token {token} has been used as often as it allows; create another with `alliance join-tokens create --uses N`' },
  REJECTED: { status: 403, exit: 1, message: 'Cannot enrol host {host}: an operator rejected it; `alliance hosts approve {host}` lets it in after all' },
  UNKNOWN_HOST_REFUSED: {
    status: 403,
    exit: 1,
    message: 'Cannot enrol host {host} without a join token: controller.unknown_hosts is "refuse"; give the host a join code, or set unknown_hosts to "pending"',
  },
  TOO_MANY_PENDING: {
    status: 403,
    exit: 1,
    message: 'Cannot keep host {host} waiting: {max} hosts already wait for approval (controller.max_pending_hosts); approve or reject some, or raise the limit',
  },
  UNKNOWN_CREDENTIAL: { status: 401, exit: 1, message: 'The bus credential is unknown or was revoked (a retired host); the host must enrol again' },
});
