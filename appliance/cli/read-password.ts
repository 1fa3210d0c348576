import { readFileSync } from 'node:fs';
import { cliErrors } from './errors.ts';

export interface SecretIo {
  /** Reads a secret typed on the terminal without echo; absent when there is no terminal. */
  readonly readSecret?: ((prompt: string) => Promise<string>) | undefined;
  /** Reads all of stdin, for `--password-file -`. */
  readonly readStdin?: (() => Promise<string>) | undefined;
}

/** A password from a file, stdin ("-"), or typed at a prompt (twice when confirming); a final newline is not part of it. */
export async function readPassword(file: string | undefined, io: SecretIo, options: { prompt: string; confirm: boolean }): Promise<string> {
  const strip = (text: string): string => text.replace(/\r?\n$/, '');
  if (file === '-') {
    if (!io.readStdin) throw cliErrors.USAGE({ problem: 'stdin cannot be read here: give --password-file FILE' });
    return strip(await io.readStdin());
  }
  if (file !== undefined) return strip(readFileSync(file, 'utf8'));
  if (!io.readSecret) throw cliErrors.USAGE({ problem: 'no terminal to ask for the password: give --password-file FILE (or - for stdin)' });
  const first = await io.readSecret(options.prompt);
  if (options.confirm && (await io.readSecret('Again: ')) !== first) throw cliErrors.USAGE({ problem: 'the two passwords differ' });
  return first;
}
