import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { listErrorCodes } from '../../../appliance/errors/index.ts';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const DOC = join(ROOT, 'docs', 'errors.md');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? sourceFiles(path) : e.name.endsWith('.ts') ? [path] : [];
  });
}

// Every errors.ts under appliance/, services/ and installer/, plus any other file that defines a catalogue, so a new one is picked up.
const definingFiles = [...sourceFiles(join(ROOT, 'appliance')), ...sourceFiles(join(ROOT, 'services')), ...sourceFiles(join(ROOT, 'installer'))]
  .filter((f) => !f.startsWith(join(ROOT, 'appliance', 'errors')))
  .filter((f) => basename(f) === 'errors.ts' || /\bdefineErrors\(/.test(readFileSync(f, 'utf8')))
  .sort();
for (const file of definingFiles) await import(pathToFileURL(file).href);

const entries = listErrorCodes();

interface DocRow {
  readonly code: string;
  readonly status: number;
  readonly exit: number;
  readonly meaning: string;
  readonly section: string;
}

function docRows(text: string): DocRow[] {
  let section = '';
  const rows: DocRow[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('## ')) section = line.slice(3);
    const m = /^\|\s*`(APL_[A-Z0-9_]+)`\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(.*?)\s*\|\s*$/.exec(line);
    if (m) rows.push({ code: m[1]!, status: Number(m[2]), exit: Number(m[3]), meaning: m[4]!, section });
  }
  return rows;
}

const doc = readFileSync(DOC, 'utf8');
const rows = docRows(doc);

test('listErrorCodes() sees the catalogue of every errors.ts under appliance/ and services/', () => {
  const names = definingFiles.map((f) => relative(ROOT, f));
  for (const expected of ['appliance/api/errors.ts', 'appliance/config/errors.ts', 'appliance/store/errors.ts']) {
    assert.ok(names.includes(expected), `${expected} was not found; found ${names.join(', ')}`);
  }
  for (const file of definingFiles) {
    const text = readFileSync(file, 'utf8');
    for (const [, area] of text.matchAll(/defineErrors\(\s*'([A-Z0-9]+)'/g)) {
      assert.ok(entries.some((e) => e.code.startsWith(`APL_${area}_`)), `no code of area ${area} (${relative(ROOT, file)}) is listed`);
    }
  }
});

test('listErrorCodes() codes all have the form APL_<AREA>_<WHAT>', () => {
  for (const { code } of entries) assert.match(code, /^APL_[A-Z0-9]+_[A-Z0-9_]+$/);
});

test('listErrorCodes() codes are unique', () => {
  const codes = entries.map((e) => e.code);
  assert.equal(codes.filter((c, i) => codes.indexOf(c) !== i), []);
});

test('listErrorCodes() gives every code an HTTP error status and exit code 1 or 2', () => {
  for (const { code, status, exit } of entries) {
    assert.ok(Number.isInteger(status) && status >= 400 && status <= 599, `${code} has HTTP status ${status}`);
    assert.ok(exit === 1 || exit === 2, `${code} has exit code ${String(exit)}`);
  }
});

test('listErrorCodes() gives every code a message template', () => {
  for (const { code, message } of entries) assert.ok(message.trim().length > 0, `${code} has no message`);
});

test('docs/errors.md has a row for every code, with its HTTP status and exit code', () => {
  for (const { code, status, exit } of entries) {
    const row = rows.find((r) => r.code === code);
    assert.ok(row, `${code} is not documented in docs/errors.md`);
    assert.is(row.status, status, `${code}: docs say HTTP ${row.status}, the code says ${status}`);
    assert.is(row.exit, exit, `${code}: docs say exit ${row.exit}, the code says ${exit}`);
  }
});

test('docs/errors.md documents each code once, in its area table, with a meaning', () => {
  const codes = rows.map((r) => r.code);
  assert.equal(codes.filter((c, i) => codes.indexOf(c) !== i), [], 'documented twice');
  for (const row of rows) {
    const area = row.code.split('_')[1]!;
    assert.ok(row.section.startsWith(`${area}:`), `${row.code} is listed under "${row.section}"`);
    assert.ok(row.meaning.length >= 20, `${row.code} has no real meaning: "${row.meaning}"`);
  }
});

test('docs/errors.md mentions no code that does not exist', () => {
  const known = new Set(entries.map((e) => e.code));
  const mentioned = [...new Set(doc.match(/APL_[A-Z0-9_]+/g) ?? [])];
  assert.ok(mentioned.length >= entries.length);
  assert.equal(mentioned.filter((c) => !known.has(c)), [], 'stale codes in docs/errors.md');
});

test.run();
