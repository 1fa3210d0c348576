import { execFile } from 'node:child_process';
import { consoleErrors as systemErrors } from '../errors.ts';

// The edge where the system settings run programs (ip, ping, networkctl,
// hostname, systemctl). Every run has a timeout, so nothing hangs the console.

export interface CommandResult {
  /** The exit status; 124 when the timeout killed it, 127 when it could not be started. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one program and answers how it ended; never rejects. */
export type CommandRunner = (file: string, args: readonly string[], options?: { timeoutMs?: number }) => Promise<CommandResult>;

export const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;

/** The real runner: execFile with a fixed PATH and LANG=C, killed at the timeout. */
export const runCommand: CommandRunner = (file, args, options = {}) => {
  const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  return new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' }, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error === null) return resolve({ code: 0, stdout, stderr });
        const e = error as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
        if (e.killed === true) return resolve({ code: 124, stdout, stderr: `timed out after ${timeoutMs} ms` });
        if (typeof e.code === 'string') return resolve({ code: 127, stdout, stderr: `cannot run ${file}: ${e.code}` });
        resolve({ code: typeof e.code === 'number' ? e.code : 1, stdout, stderr });
      },
    );
  });
};

/** The command line as an operator would type it, for messages. */
export function commandLine(file: string, args: readonly string[]): string {
  return [file, ...args].join(' ');
}

/** The first non-empty line of a program's stderr, or its exit status. */
export function firstLine(result: CommandResult): string {
  const line = result.stderr.split('\n').find((l) => l.trim() !== '');
  return line === undefined ? `exit status ${result.code}` : line.trim();
}

/** Runs a command that must succeed; a failure is APL_CONSOLE_SYSTEM_COMMAND_FAILED naming it and its stderr's first line. */
export async function runChecked(run: CommandRunner, command: readonly [string, ...string[]], action: string): Promise<string> {
  const [file, ...args] = command;
  const result = await run(file, args);
  if (result.code !== 0) throw systemErrors.SYSTEM_COMMAND_FAILED({ action, command: commandLine(file, args), reason: firstLine(result) });
  return result.stdout;
}
