import type { DataDirLayout } from '../data-dir/index.ts';
import { cliErrors } from './errors.ts';
import type { CommandLine } from './parse-command-line.ts';

export interface ApiCommandIo {
  readonly layout: DataDirLayout;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly out: (text: string) => void;
  readonly readSecret?: ((prompt: string) => Promise<string>) | undefined;
}

/** login, logout, projects, users, hosts, join-tokens: clients of the controller REST API. */
export async function runApiCommand(cmd: CommandLine, _io: ApiCommandIo): Promise<number> {
  throw cliErrors.USAGE({ problem: `\`alliance ${cmd.command}\` is not built yet` });
}
