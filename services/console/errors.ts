import { defineErrors } from '../../appliance/errors/index.ts';

// One catalogue for the console, its system settings (SYSTEM_*) included.
export const consoleErrors = defineErrors('CONSOLE', {
  NOT_A_TERMINAL: {
    status: 400,
    exit: 2,
    message: 'Cannot start the console: stdin and stdout must be a terminal; run `alliance console` on the machine\'s screen, its serial line or over ssh -t',
  },
  ANSWERS_INVALID: {
    status: 400,
    exit: 1,
    message: 'Cannot apply the installer\'s answers in {path}: {problem}; fix the file (its format is appliance/contracts/install-answers.ts) and run `alliance console first-boot` again, or remove it to keep the image\'s defaults',
  },
  COMMAND_UNKNOWN: {
    status: 400,
    exit: 2,
    message: '`alliance console {command}` is not a console command; run `alliance console` for the console, or `alliance console first-boot` to apply the installer\'s answers',
  },

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
