import { execFile } from 'node:child_process';
import { type IpmitoolRun } from './parse-ipmitool-output.ts';

// The edge: one ipmitool process. Its environment is only a fixed PATH, LANG=C
// (so the messages parse) and what the driver passes (IPMI_PASSWORD); nothing of ours
// is inherited. Killed when the signal fires or after timeoutMs.

export function runIpmitool(argv: readonly string[], options: { env: Readonly<Record<string, string>>; signal: AbortSignal; timeoutMs?: number; binary?: string }): Promise<IpmitoolRun> {
  return new Promise((resolve) => {
    execFile(
      options.binary ?? 'ipmitool',
      [...argv],
      { env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', ...options.env }, signal: options.signal, timeout: options.timeoutMs ?? 15_000, maxBuffer: 64 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error === null) return resolve({ exitCode: 0, stdout, stderr });
        const e = error as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
        const timedOut = e.killed === true || e.name === 'AbortError';
        const exitCode = typeof e.code === 'number' ? e.code : null;
        resolve({ exitCode, stdout, stderr: stderr === '' && typeof e.code === 'string' ? `cannot run ipmitool: ${e.code}` : stderr, timedOut });
      },
    );
  });
}
