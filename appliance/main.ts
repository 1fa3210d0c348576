// The `alliance` executable. Only this file reads argv, env and signals, and
// decides the exit code.
import { homedir, hostname } from 'node:os';
import { parseCommandLine, runCommand } from './cli/index.ts';
import { describeError, isAllianceError } from './errors/index.ts';
import { checkNativeCache } from './native-cache.ts';

function main(): void {
  const stopRequested = new Promise<string>((resolve) => {
    let asked = false;
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => {
        if (asked) {
          process.stderr.write(`alliance: second ${signal}, exiting without a clean stop\n`);
          process.exit(1);
        }
        asked = true;
        resolve(signal);
      });
    }
  });
  process.on('uncaughtException', (err) => fatal(err));
  process.on('unhandledRejection', (err) => fatal(err));

  let command;
  try {
    command = parseCommandLine(process.argv.slice(2), process.env);
    const opensStore = command.command === 'init' || command.command === 'serve';
    if (opensStore && (process as { pkg?: unknown }).pkg !== undefined) checkNativeCache(process.env, homedir());
  } catch (err) {
    fatal(err);
    return;
  }
  runCommand(command, { env: process.env, hostname: hostname(), out: (text) => process.stdout.write(text), stopRequested })
    .then((code) => {
      process.exitCode = code;
      // Services are stopped by now; do not wait for stray handles.
      if (command.command === 'serve') setImmediate(() => process.exit(code));
    })
    .catch(fatal);
}

/** One line on stderr, the error's exit code (1 for anything unexpected). */
function fatal(err: unknown): void {
  if (isAllianceError(err)) {
    process.stderr.write(`alliance: ${err.message} [${err.code}]\n`);
    process.exit(err.exitCode);
  }
  process.stderr.write(`alliance: unexpected failure: ${describeError(err)}\n${err instanceof Error && err.stack ? `${err.stack}\n` : ''}`);
  process.exit(1);
}

main();
