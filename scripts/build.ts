// Builds dist/alliance: esbuild bundles the TypeScript into one CommonJS file
// (native addons stay outside, as packages), then @yao-pkg/pkg in SEA mode
// embeds it, node_modules' native files and Node 24 into one executable.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; engines: { node: string }; dependencies: Record<string, string> };

function gitCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return dirty ? `${commit}-dirty` : commit;
  } catch {
    return 'unknown';
  }
}

// Native addons must be real files at run time; pkg embeds them from node_modules.
const NATIVE = ['better-sqlite3', 'alliance-nng', 'node-pty'];

const started = Date.now();
rmSync(join(root, 'build'), { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'appliance/main.ts')],
  outfile: join(root, 'build/alliance.cjs'),
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  external: NATIVE,
  // import() of a native package must become require(): pkg's virtual file system serves only require.
  supported: { 'dynamic-import': false },
  legalComments: 'none',
  logLevel: 'warning',
  define: {
    __ALLIANCE_BUILD__: JSON.stringify({ version: pkg.version, commit: gitCommit(), builtAt: new Date().toISOString() }),
  },
});

// Our addon is a file: dependency, i.e. a symlink in node_modules, whose target
// pkg records wrongly; a real copy of what it needs at run time sits nearer instead.
const addon = join(root, 'build/node_modules/alliance-nng');
for (const file of ['package.json', 'index.cjs', 'build/Release/alliance_nng.node']) {
  cpSync(join(root, 'appliance/bus/native', file), join(addon, file));
}

// pkg embeds every package its package.json depends on; everything but the
// native addons is already inside the bundle, so it gets a manifest naming only those.
writeFileSync(
  join(root, 'build/package.json'),
  JSON.stringify(
    {
      name: 'alliance',
      version: pkg.version,
      private: true,
      bin: 'alliance.cjs',
      dependencies: Object.fromEntries(NATIVE.map((n) => [n, pkg.dependencies[n]])),
      // better-sqlite3 ships SQLite's C sources and eight platforms' binaries; one binary is used.
      // node-pty ships its C++ sources, winpty/conpty, macOS and Windows binaries, tests and
      // source maps; at run time lib/utils.js loads ../build/Release/pty.node (the one from
      // node-gyp) and nothing else of build/. node-addon-api is headers for that build.
      // That require's path is computed, so pkg cannot see it: pty.node is named as an asset.
      pkg: {
        dictionary: { 'node-pty': { assets: ['build/Release/pty.node'] } },
        ignore: [
          '**/better-sqlite3/deps/**',
          '**/better-sqlite3/src/**',
          '**/better-sqlite3/prebuilds/!(linux-x64.node)',
          '**/node-pty/{deps,src,third_party,prebuilds,typings,scripts}/**',
          '**/node-pty/binding.gyp',
          '**/node-pty/node_modules/**',
          '**/node-pty/build/!(Release)',
          '**/node-pty/build/!(Release)/**',
          '**/node-pty/build/Release/!(pty.node)',
          '**/node-pty/build/Release/*/**',
          '**/node-pty/lib/**/*.map',
          '**/node-pty/lib/**/*.test.js',
        ],
      },
    },
    null,
    2,
  ),
);
mkdirSync(join(root, 'dist'), { recursive: true });
const nodeTarget = `node${pkg.engines.node}-linux-x64`;
// Built beside and renamed over: writing into an executable that is running fails with ETXTBSY.
const output = join(root, 'dist/alliance');
rmSync(`${output}.new`, { force: true });
execFileSync(process.execPath, [join(root, 'node_modules/@yao-pkg/pkg/lib-es5/bin.js'), '.', '--sea', '--targets', nodeTarget, '--output', `${output}.new`], {
  cwd: join(root, 'build'),
  stdio: ['ignore', 'inherit', 'inherit'],
  // pkg looks for the Node base binary under $HOME/.pkg-cache; scripts/toolchain.sh put it there.
  env: { ...process.env, HOME: join(root, '.toolchain/pkg-home') },
});
renameSync(`${output}.new`, output);
const size = statSync(output).size;
console.log(`built dist/alliance (${(size / 1048576).toFixed(1)} MiB) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
