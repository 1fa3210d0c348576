import { defineErrors } from '../errors/index.ts';

export const cliErrors = defineErrors('CLI', {
  USAGE: { status: 400, exit: 2, message: '{problem}; see `alliance --help`' },
  NOT_RUNNING: { status: 503, exit: 1, message: 'alliance is not running on {dataDir} (no answer on {socket}); start it with `alliance serve --data-dir {dataDir}`' },
  REQUEST_FAILED: { status: 502, exit: 1, message: 'The appliance answered {status}: {message}' },
});
