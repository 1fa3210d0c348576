import { defineErrors } from '../../appliance/errors/index.ts';

// The host agent's failures. Exit 2 marks a configuration mistake the operator
// fixes before starting it again; exit 1 a runtime failure. Most runtime codes
// are only logged: the agent keeps trying until the controller lets it in.
export const agentErrors = defineErrors('AGENT', {
  CONTROLLER_INVALID: {
    status: 400,
    exit: 2,
    message: 'Cannot use the controller address "{address}" from {source}: expected host:port with a port from 1 to 65535, e.g. 10.0.0.5:8443 or [fd00::5]:8443',
  },
  NO_CONTROLLER: {
    status: 400,
    exit: 2,
    message: 'Cannot look for a controller: agent.controller is empty, the kernel command line has no alliance.controller=, and discovery.enabled is false; set agent.controller or enable discovery',
  },
  JOIN_CODE_UNREADABLE: {
    status: 500,
    exit: 2,
    message: 'Cannot read the join code file {path}: {reason}; fix agent.join_code_file, or set it empty to wait for approval instead',
  },
  JOIN_CODE_INVALID: {
    status: 400,
    exit: 2,
    message: 'Cannot use the join code from {source}: it is not <id>.<secret> in lower-case base32; copy it again from `alliance join-tokens create`',
  },
  KEY_UNREADABLE: {
    status: 500,
    exit: 1,
    message: 'Cannot read the agent key {path}: {reason}; restore it, or delete the agent directory {dir} to start as a new host that must be approved again',
  },
  BOOTSTRAP_UNREADABLE: {
    status: 500,
    exit: 1,
    message: 'Cannot read the bootstrap file {path}: {reason}; delete it and start the agent again to enrol afresh (the host keeps its id)',
  },
  CONTROLLER_NOT_FOUND: {
    status: 503,
    exit: 1,
    message: 'No appliance answered on mDNS ({interfaces}) within {ms} ms; set agent.controller or alliance.controller= on the kernel command line, or run `alliance discover --diagnose` on this host',
  },
  CONTROLLER_UNREACHABLE: {
    status: 503,
    exit: 1,
    message: 'Cannot reach the controller at {url}: {reason}; the agent keeps trying (check the address, the network, and that the appliance runs)',
  },
  ENROLMENT_ANSWER_INVALID: {
    status: 502,
    exit: 1,
    message: 'The controller at {url} answered enrolment with HTTP {status} and a body that is not an enrolment answer ({problem}); check that the address is an Alliance appliance of the same version',
  },
  ENROLMENT_REFUSED: {
    status: 403,
    exit: 1,
    message: 'The controller at {url} refused enrolment: {reason} [{code}]; the agent tries again in {retryInS} s',
  },
  CONTROLLER_PROOF_MISMATCH: {
    status: 502,
    exit: 1,
    message: 'The controller at {url} admitted this host but could not prove it holds join token {tokenId}: it is not the controller the token came from; check agent.controller and the network, then start the agent again',
  },
  CREDENTIAL_REFUSED: {
    status: 401,
    exit: 1,
    message: 'The controller refused this host\'s credential [{code}]: the host was retired or removed; enrolling again (approve it with `alliance hosts approve {hostId}` if asked)',
  },
  SESSION_LOST: {
    status: 503,
    exit: 1,
    message: 'Lost the bus session with the controller at {url}: {reason}; retrying in {retryInS} s with the saved bootstrap',
  },
});
