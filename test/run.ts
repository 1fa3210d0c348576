// Runs every check and test file and ends with one line: "N passed, N failed".
// Each test file runs in its own process (native addons, ports and signals
// stay isolated); the type check, lint and layout check count as tests too.
//   node --import tsx test/run.ts [substring ...]   only files whose path contains one
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const filters = process.argv.slice(2);
const FILE_TIMEOUT_MS = 15 * 60_000;

interface Outcome {
  readonly name: string;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly ms: number;
}

function findTests(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? (e.name === 'bench' || e.name.startsWith('_') ? [] : findTests(join(dir, e.name))) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : []))
    .sort();
}

function run(name: string, command: string, args: string[]): Promise<{ code: number; output: string; ms: number }> {
  const started = Date.now();
  process.stdout.write(`\n== ${name}\n`);
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    let output = '';
    const take = (chunk: Buffer): void => {
      const text = chunk.toString();
      output += text;
      process.stdout.write(text);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => {
      take(Buffer.from(`\n!! ${name} ran longer than ${FILE_TIMEOUT_MS / 60000} min; killed\n`));
      child.kill('SIGKILL');
    }, FILE_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code: code ?? (signal ? 128 : 1), output, ms: Date.now() - started });
    });
  });
}

async function check(name: string, command: string, args: string[]): Promise<Outcome> {
  const { code, ms } = await run(name, command, args);
  return { name, passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, skipped: 0, ms };
}

async function testFile(file: string): Promise<Outcome> {
  const name = relative(root, file);
  const { code, output, ms } = await run(name, process.execPath, ['--import', 'tsx', file]);
  // uvu's summary: "Total: N / Passed: N / Skipped: N"
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
  const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  if (Number.isNaN(total) || Number.isNaN(passed)) {
    process.stdout.write(`!! ${name} ended (exit ${code}) without a uvu summary: counted as one failure\n`);
    return { name, passed: 0, failed: 1, skipped: 0, ms };
  }
  // uvu counts skipped tests outside Total.
  let failed = total - passed;
  if (code !== 0 && failed === 0) {
    process.stdout.write(`!! ${name} exited ${code} after its tests: counted as one failure\n`);
    failed = 1;
  }
  if (total === 0) {
    process.stdout.write(`!! ${name} ran no test: counted as one failure\n`);
    failed = 1;
  }
  return { name, passed, failed, skipped, ms };
}

const outcomes: Outcome[] = [];
const wanted = (path: string): boolean => filters.length === 0 || filters.some((f) => path.includes(f));
if (filters.length === 0) {
  outcomes.push(await check('typecheck (tsc --noEmit)', process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', 'tsconfig.json']));
  outcomes.push(await check('lint (eslint)', process.execPath, ['node_modules/eslint/bin/eslint.js', '.']));
  outcomes.push(await check('layout (scripts/check-boundaries.ts)', process.execPath, ['--import', 'tsx', 'scripts/check-boundaries.ts']));
}
for (const file of findTests(join(root, 'test')).filter(wanted)) outcomes.push(await testFile(file));

const sum = (k: 'passed' | 'failed' | 'skipped'): number => outcomes.reduce((n, o) => n + o[k], 0);
process.stdout.write('\n== summary\n');
for (const o of outcomes) {
  process.stdout.write(`${o.failed > 0 ? 'FAIL' : 'ok  '}  ${o.name}  (${o.passed} passed${o.failed ? `, ${o.failed} failed` : ''}${o.skipped ? `, ${o.skipped} skipped` : ''}, ${(o.ms / 1000).toFixed(1)} s)\n`);
}
const skipped = sum('skipped');
process.stdout.write(`${sum('passed')} passed, ${sum('failed')} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exitCode = sum('failed') > 0 || outcomes.length === 0 ? 1 : 0;
