// Drives the real dist/alliance executable for integration tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = resolve(import.meta.dirname, '..', '..');

/** dist/alliance; its absence fails the test (build it with `make build`), never skips it. */
export function binaryPath(): string {
  const path = join(ROOT, 'dist', 'alliance');
  if (!existsSync(path)) throw new Error(`Cannot run integration tests: ${path} is missing; run \`make build\` first`);
  return path;
}

const madeDirs: string[] = [];
// Every test file is its own process: what it made goes when it ends, whatever its tests cleaned up.
process.once('exit', () => {
  for (const dir of madeDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory under the system's temporary one, removed when the test process exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `alliance-${prefix}-`));
  madeDirs.push(dir);
  return dir;
}

/** A minimal environment: what an operator's shell would pass, nothing of the test runner's. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: process.env.HOME ?? '/root', ...extra };
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The command line that runs dist/alliance, as another user when asked. setpriv
 * execs in place (runuser forks), so signals reach alliance itself.
 */
function commandLine(args: readonly string[], asUser: string | undefined, netns?: string): [string, string[]] {
  // `ip netns exec` also execs in place.
  if (netns !== undefined) return ['ip', ['netns', 'exec', netns, binaryPath(), ...args]];
  if (asUser === undefined) return [binaryPath(), [...args]];
  return ['setpriv', [`--reuid=${asUser}`, `--regid=${asUser === 'nobody' ? 'nogroup' : asUser}`, '--clear-groups', '--', binaryPath(), ...args]];
}

export function runCli(args: readonly string[], options: { env?: Record<string, string>; cwd?: string; asUser?: string; netns?: string } = {}): CliResult {
  const [command, argv] = commandLine(args, options.asUser, options.netns);
  const result = spawnSync(command, argv, { env: options.env ?? cleanEnv(), cwd: options.cwd ?? ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

export interface ServingAppliance {
  readonly child: ChildProcess;
  readonly logs: readonly Record<string, unknown>[];
  /** Resolves with the exit code (or signal name). */
  readonly exited: Promise<number | string>;
}

/**
 * Starts `alliance serve` and resolves when it logs "appliance ready"; rejects
 * with its output if it exits first or is not ready within the deadline.
 */
export function startServe(args: readonly string[], options: { env?: Record<string, string>; readyWithinMs?: number; asUser?: string; netns?: string } = {}): Promise<ServingAppliance> {
  const [command, argv] = commandLine(['serve', ...args], options.asUser, options.netns);
  const child = spawn(command, argv, { env: options.env ?? cleanEnv(), cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | string>((done) => child.on('exit', (code, signal) => done(code ?? signal ?? 'unknown')));
  return new Promise((done, fail) => {
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`alliance serve was not ready within ${options.readyWithinMs ?? 20_000} ms; stderr: ${stderr}`));
    }, options.readyWithinMs ?? 20_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(record);
      if (record.msg === 'appliance ready') {
        clearTimeout(deadline);
        done({ child, logs, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(deadline);
      fail(new Error(`alliance serve exited (${code}) before it was ready; stderr: ${stderr.trim()}`));
    });
  });
}
