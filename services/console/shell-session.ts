export interface ShellTerminal {
  readonly input: NodeJS.ReadStream;
  readonly output: NodeJS.WriteStream;
}

/**
 * A login shell on its own pseudo-terminal, wired to the console's terminal
 * until it exits. Through a pty rather than handing over our tty: the console
 * keeps its raw mode and keypress decoder out of the way, passes resizes on,
 * and gets the terminal back in a known state whatever the shell did to it.
 */
export async function runShell(terminal: ShellTerminal, env: Readonly<Record<string, string | undefined>>): Promise<number> {
  // Loaded here, not at start: the packaged executable unpacks native addons on first use, and no other command needs this one.
  const { spawn } = await import('node-pty');
  const shell = env.SHELL && env.SHELL.startsWith('/') ? env.SHELL : '/bin/bash';
  const pty = spawn(shell, ['-l'], {
    name: env.TERM || 'vt220',
    cols: terminal.output.columns || 80,
    rows: terminal.output.rows || 24,
    cwd: env.HOME || '/',
    env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
  });
  const forward = (chunk: Buffer | string): void => pty.write(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
  const resize = (): void => pty.resize(terminal.output.columns || 80, terminal.output.rows || 24);
  terminal.output.write('\u001b[0m\u001b[2J\u001b[H\u001b[?25h');
  terminal.output.write('Shell on the appliance. Type `exit` to go back to the console.\r\n');
  const data = pty.onData((text) => terminal.output.write(text));
  terminal.input.on('data', forward);
  terminal.output.on('resize', resize);
  return new Promise<number>((resolve) => {
    pty.onExit(({ exitCode }) => {
      data.dispose();
      terminal.input.off('data', forward);
      terminal.output.off('resize', resize);
      resolve(exitCode);
    });
  });
}
