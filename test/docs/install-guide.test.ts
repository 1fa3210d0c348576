// INSTALL.md must fit on one printed page: rendered the way a printer would
// get it (pandoc to ms, groff to PostScript), on A4 and on US Letter.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../_support/appliance-process.ts';

function pages(paper: 'a4' | 'letter'): number {
  const ms = execFileSync('pandoc', [join(ROOT, 'INSTALL.md'), '--standalone', '--to', 'ms'], { encoding: 'utf8' });
  const ps = execFileSync('groff', ['-ms', '-Tps', `-dpaper=${paper}`, `-P-p${paper}`], { input: ms, encoding: 'latin1', stdio: ['pipe', 'pipe', 'ignore'] });
  return ps.split('\n').filter((l) => l.startsWith('%%Page:')).length;
}

for (const paper of ['a4', 'letter'] as const) {
  test(`INSTALL.md prints on one ${paper} page`, () => {
    assert.is(pages(paper), 1);
  });
}

test.run();
