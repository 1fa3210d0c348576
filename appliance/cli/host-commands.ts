import type { ApiClient } from './api-client.ts';
import type { ApiCommandIo } from './api-commands.ts';
import { cliErrors } from './errors.ts';
import type { CommandLine } from './parse-command-line.ts';

// A stub until the hosts feature brings its commands: the hosts helper
// replaces this file.

/** `alliance hosts ...` and `alliance join-tokens ...` against the controller API. */
export async function runHostCommand(cmd: CommandLine, _client: ApiClient, _io: ApiCommandIo): Promise<number> {
  throw cliErrors.USAGE({ problem: `\`alliance ${cmd.command}\` is not built yet` });
}
