export { callControl } from './control-client.ts';
export { cliErrors } from './errors.ts';
export { formatDuration, formatOffline, formatStatus } from './format-status.ts';
export { COMMANDS, HELP, parseCommandLine } from './parse-command-line.ts';
export type { CommandLine, CommandName } from './parse-command-line.ts';
export { runCommand } from './run-command.ts';
export type { CommandIo } from './run-command.ts';
