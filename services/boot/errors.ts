import { defineErrors } from '../../appliance/errors/index.ts';

// The boot service's failures: network boot (dnsmasq, iPXE scripts, kernel
// command lines) and fencing (power control through a host's BMC).
export const bootErrors = defineErrors('BOOT', {
  PARAM_INVALID: {
    status: 400,
    exit: 2,
    message: 'Cannot place {name} in a boot script: "{value}" is outside the allowed characters or form; fix the setting or the record it came from',
  },
  FENCE_TIMEOUT: {
    status: 504,
    exit: 1,
    message: 'Cannot {action} host {host}: the BMC did not report the power {target} within {ms} ms; the host must be treated as not fenced',
  },
  FENCE_UNREACHABLE: {
    status: 503,
    exit: 1,
    message: 'Cannot {action} host {host}: its BMC at {bmc} does not answer ({reason}); check the BMC address and the management network',
  },
  FENCE_AUTH: {
    status: 502,
    exit: 1,
    message: 'Cannot {action} host {host}: its BMC at {bmc} refused the credentials ({reason}); set the BMC user and password again',
  },
  FENCE_FAILED: {
    status: 502,
    exit: 1,
    message: 'Cannot {action} host {host}: its BMC at {bmc} failed the request ({reason})',
  },
  SECRET_UNREADABLE: {
    status: 500,
    exit: 1,
    message: 'Cannot open a sealed secret: {reason}; it was sealed with another key or altered, so set the BMC password again',
  },
  BMC_SETTINGS_INVALID: {
    status: 400,
    exit: 2,
    message: 'Cannot store the BMC settings of host {host}: {field} {problem}; fix it and call boot.bmc.set again',
  },
  BMC_NOT_SET: {
    status: 404,
    exit: 1,
    message: 'Cannot {action} host {host}: no BMC is set for it; set one with boot.bmc.set first',
  },
  POWER_BUSY: {
    status: 409,
    exit: 1,
    message: 'Cannot {action} host {host}: another power action on it was still running when the deadline passed; try again once it has finished',
  },
  DNSMASQ_SPEC_INVALID: {
    status: 400,
    exit: 2,
    message: 'Cannot render the dnsmasq configuration: {field} {problem}; fix the boot settings',
  },
  HOST_RECORD_INVALID: {
    status: 400,
    exit: 1,
    message: 'Cannot write the dnsmasq host record for {mac}: {problem}; fix the host record',
  },
  HOOK_CALL_INVALID: {
    status: 400,
    exit: 1,
    message: 'Refused a lease hook call: {problem}; only dnsmasq should run `alliance boot lease-hook` (through its dhcp-script)',
  },
  HOOK_APPLIANCE_DOWN: {
    status: 503,
    exit: 1,
    message: 'Cannot hand the lease hook call to the appliance in {dataDir}: {reason}; start it with `alliance serve` (dnsmasq keeps the lease and calls the hook again on renewal)',
  },
  COMMAND_UNKNOWN: {
    status: 400,
    exit: 2,
    message: 'Cannot run `alliance boot {command}`: the boot service has only the lease-hook subcommand',
  },
});
