import { defineErrors } from '../../appliance/errors/index.ts';

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
});
