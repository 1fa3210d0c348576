import { defineErrors } from '../../appliance/errors/index.ts';

export const consoleErrors = defineErrors('CONSOLE', {
  NOT_A_TERMINAL: {
    status: 400,
    exit: 2,
    message: 'Cannot start the console: stdin and stdout must be a terminal; run `alliance console` on the machine\'s screen, its serial line or over ssh -t',
  },
});
