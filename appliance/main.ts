// The `alliance` executable. Only this file reads argv, env and signals, and
// decides the exit code.
import { homedir, hostname } from 'node:os';
import { agentModule } from '../services/agent/main.ts';
import { bootModule } from '../services/boot/main.ts';
import { consoleModule } from '../services/console/main.ts';
import { controllerModule } from '../services/controller/main.ts';
import { installModule } from '../installer/main.ts';
import { parseCommandLine, runCommand } from './cli/index.ts';
import { describeError, isAllianceError } from './errors/index.ts';
import { checkNativeCache } from './native-cache.ts';

function main(): void {
  const stopRequested = new Promise<string>((resolve) => {
    let asked = false;
    // SIGHUP too: a console over ssh loses its terminal that way, and must still undo an unkept network change.
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
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
    // The commands that load a native addon: the packaged executable unpacks them into a cache directory first.
    const unpacksAddons = command.command === 'init' || command.command === 'serve' || command.command === 'console';
    if (unpacksAddons && (process as { pkg?: unknown }).pkg !== undefined) checkNativeCache(process.env, homedir());
  } catch (err) {
    fatal(err);
    return;
  }
  const io = {
    env: process.env,
    hostname: hostname(),
    out: (text: string) => void process.stdout.write(text),
    stopRequested,
    modules: [controllerModule, agentModule, bootModule, consoleModule, installModule],
    readStdin,
    ...(process.stdin.isTTY ? { readSecret } : {}),
    ...(process.stdin.isTTY && process.stdout.isTTY ? { terminal: { input: process.stdin, output: process.stdout } } : {}),
  };
  runCommand(command, io)
    .then((code) => {
      process.exitCode = code;
      // Services are stopped by now; do not wait for stray handles.
      if (command.command === 'serve') setImmediate(() => process.exit(code));
    })
    .catch(fatal);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Asks on the terminal without echoing what is typed. */
function readSecret(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    process.stderr.write(prompt);
    const stdin = process.stdin;
    stdin.setRawMode(true);
    stdin.resume();
    let typed = '';
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new Error('interrupted'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    function finish(err?: Error): void {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(typed);
    }
    stdin.on('data', onData);
  });
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
