import { defineErrors } from '../../../appliance/errors/index.ts';

// The console's system settings: the management network, host name, DNS and
// NTP that the local console validates, writes and applies. The codes carry a
// SYSTEM_ prefix so they never meet the console's own catalogue (same area).
export const systemErrors = defineErrors('CONSOLE', {
  SYSTEM_SETTINGS_INVALID: {
    status: 400,
    exit: 2,
    message: 'Cannot render {what}: {field} {problem}; check the form with its validate function first',
  },
  SYSTEM_COMMAND_FAILED: {
    status: 500,
    exit: 1,
    message: 'Cannot {action}: `{command}` failed ({reason}); check the interface and the network settings, then try again',
  },
  SYSTEM_OUTPUT_UNREADABLE: {
    status: 500,
    exit: 1,
    message: 'Cannot read the live network settings: `{command}` printed {problem}; check that iproute2 is installed and the interface exists',
  },
  SYSTEM_WRITE_FAILED: {
    status: 500,
    exit: 1,
    message: 'Cannot write {path}: {reason}; check that the file system is mounted read-write and has room',
  },
});
