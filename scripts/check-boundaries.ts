// The layout rules of the house that a linter cannot see:
// - a service never imports another service (services/<a> -> services/<b>);
// - appliance/ never imports services/ (services plug in through wiring in main.ts),
//   and neither does installer/ (it shares contracts through appliance/contracts);
// - outside an appliance/ module, it is imported only through its index.ts;
// - the appliance/ modules import each other without cycles.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const problems: string[] = [];

function sourceFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(join(root, dir), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const specs = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g)];
  return specs.map((m) => m[1] ?? m[2] ?? m[3] ?? '').filter((s) => s.startsWith('.'));
}

/** ['appliance', 'store'] for appliance/store/open-store.ts; ['appliance'] for appliance/main.ts. */
function owner(path: string): string[] {
  const parts = path.split(sep);
  if ((parts[0] === 'appliance' || parts[0] === 'services') && parts.length > 2) return parts.slice(0, 2);
  return parts.slice(0, 1);
}

const moduleGraph = new Map<string, Set<string>>();
for (const file of [...sourceFiles('appliance'), ...sourceFiles('services'), ...sourceFiles('installer')]) {
  const from = owner(file);
  for (const spec of imports(file)) {
    const target = relative(root, resolve(root, dirname(file), spec));
    const to = owner(target);
    const where = `${file} imports ${spec}`;
    if (from[0] === 'services' && to[0] === 'services' && from[1] !== to[1]) problems.push(`${where}: a service never imports another service; talk over the bus`);
    if (from[0] === 'appliance' && to[0] === 'services' && file !== join('appliance', 'main.ts')) problems.push(`${where}: appliance/ core must not depend on a service`);
    if (from[0] === 'installer' && to[0] === 'services') problems.push(`${where}: the installer must not depend on a service; share a contract in appliance/contracts`);
    if (to[0] === 'appliance' && to.length === 2 && from.join('/') !== to.join('/')) {
      if (!target.endsWith(`${sep}index.ts`) || target.split(sep).length !== 3) problems.push(`${where}: import appliance/${to[1]} through its index.ts`);
      if (from[0] === 'appliance' && from.length === 2) {
        const edges = moduleGraph.get(from[1]!) ?? new Set<string>();
        edges.add(to[1]!);
        moduleGraph.set(from[1]!, edges);
      }
    }
  }
}

const state = new Map<string, 'visiting' | 'done'>();
function visit(mod: string, path: string[]): void {
  if (state.get(mod) === 'done') return;
  if (state.get(mod) === 'visiting') {
    problems.push(`appliance modules import each other in a cycle: ${[...path.slice(path.indexOf(mod)), mod].join(' -> ')}`);
    return;
  }
  state.set(mod, 'visiting');
  for (const next of moduleGraph.get(mod) ?? []) visit(next, [...path, mod]);
  state.set(mod, 'done');
}
for (const mod of moduleGraph.keys()) visit(mod, []);

if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error(`\n${problems.length} layout problem(s)`);
  process.exit(1);
}
console.log(`layout ok: ${moduleGraph.size} appliance modules, no cross-service imports, no cycles`);
