// The seed for real: genisoimage makes it, isoinfo reads it back. The volume
// id must be `cidata` (what cloud-init's NoCloud looks for) and both files must
// hold exactly what was rendered, under Joliet and Rock Ridge names alike.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isAllianceError } from '../../../../appliance/errors/index.ts';
import { renderNoCloudSeed } from '../../../../services/agent/metadata/nocloud-seed.ts';
import { writeNoCloudSeed } from '../../../../services/agent/metadata/write-nocloud-seed.ts';
import { ED25519, RSA, instance } from './_instance.ts';

let dir: string;

test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'alliance-seed-'));
});

test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

const isoinfo = (...args: string[]): string => execFileSync('isoinfo', args, { encoding: 'utf8' });

test('writeNoCloudSeed() writes <instanceDir>/seed.iso labelled cidata, 0600, and leaves nothing else', async () => {
  const path = await writeNoCloudSeed(instance(), dir);
  assert.is(path, join(dir, 'seed.iso'));
  assert.match(isoinfo('-d', '-i', path), /^Volume id: cidata$/m);
  assert.is(statSync(path).mode & 0o777, 0o600);
  assert.equal(readdirSync(dir), ['seed.iso']);
});

test('writeNoCloudSeed() puts the rendered user-data and meta-data on the disc, by Joliet and Rock Ridge names', async () => {
  const spec = instance({ sshKeys: [ED25519, RSA], userData: '#cloud-config\nruncmd: [[touch, /tmp/é]]\n' });
  const path = await writeNoCloudSeed(spec, dir);
  const seed = renderNoCloudSeed(spec);
  for (const names of ['-J', '-R']) {
    assert.is(isoinfo('-i', path, names, '-x', '/meta-data'), seed['meta-data'], `meta-data under ${names}`);
    assert.is(isoinfo('-i', path, names, '-x', '/user-data'), seed['user-data'], `user-data under ${names}`);
  }
  assert.not.match(isoinfo('-i', path, '-R', '-f'), /network-config/);
});

test('writeNoCloudSeed() run again replaces the seed with the new spec', async () => {
  await writeNoCloudSeed(instance({ hostname: 'old-name' }), dir);
  const path = await writeNoCloudSeed(instance({ hostname: 'new-name' }), dir);
  assert.match(isoinfo('-i', path, '-R', '-x', '/meta-data'), /local-hostname: "new-name"/);
  assert.equal(readdirSync(dir), ['seed.iso']);
});

test('writeNoCloudSeed() without genisoimage fails with APL_METADATA_SEED_FAILED and leaves no seed or staging', async () => {
  try {
    await writeNoCloudSeed(instance(), dir, { genisoimage: join(dir, 'no-such-genisoimage') });
    assert.unreachable('it wrote a seed');
  } catch (err) {
    assert.ok(isAllianceError(err), String(err));
    assert.is(err.code, 'APL_METADATA_SEED_FAILED');
    assert.match(err.message, /genisoimage was not found/);
  }
  assert.equal(readdirSync(dir), []);
});

test('writeNoCloudSeed() into a missing directory fails with APL_METADATA_SEED_FAILED naming the path', async () => {
  const missing = join(dir, 'gone');
  try {
    await writeNoCloudSeed(instance(), missing);
    assert.unreachable('it wrote a seed');
  } catch (err) {
    assert.ok(isAllianceError(err), String(err));
    assert.is(err.code, 'APL_METADATA_SEED_FAILED');
    assert.match(err.message, `${missing}/seed.iso`);
  }
});

test.run();
