import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isAllianceError } from '../../../../appliance/errors/index.ts';
import { ImageCache } from '../../../../services/agent/hypervisor/image-cache.ts';
import { ChunkSource } from './_chunk-source.ts';

const root = mkdtempSync(join(tmpdir(), 'alliance-images-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function setup(chunkBytes = 1000): { dir: string; source: ChunkSource; cache: ImageCache } {
  n += 1;
  const dir = join(root, `c${n}`);
  const source = new ChunkSource(chunkBytes);
  return { dir, source, cache: new ImageCache(dir, source.fetchChunk) };
}

const bytes = (length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 7) % 251);
const id = (k: number): string => `22222222-2222-4222-8222-${String(k).padStart(12, '0')}`;

async function codeOf(what: Promise<unknown>): Promise<string> {
  try {
    await what;
    return 'resolved';
  } catch (err) {
    return isAllianceError(err) ? err.code : String(err);
  }
}

test('ImageCache.ensure() fetches in chunks, checks the SHA-256, and keeps the file under <id>.<format>', async () => {
  const { dir, source, cache } = setup();
  const image = source.add(id(1), bytes(3500), 'qcow2');
  const path = await cache.ensure(image);
  assert.is(path, join(dir, `${id(1)}.qcow2`));
  assert.equal(new Uint8Array(readFileSync(path)), bytes(3500));
  assert.equal(source.calls.map((c) => c.offset), [0, 1000, 2000, 3000]);
  assert.equal(readdirSync(dir), [`${id(1)}.qcow2`]);
});

test('ImageCache.ensure() fetches an image once however many ask, now or later', async () => {
  const { source, cache } = setup();
  const image = source.add(id(2), bytes(2000));
  const [a, b] = await Promise.all([cache.ensure(image), cache.ensure(image)]);
  assert.is(a, b);
  await cache.ensure(image);
  assert.is(source.calls.length, 2);
  assert.ok(cache.has(image));
});

test('ImageCache.ensure() resumes a fetch cut short from the bytes it has', async () => {
  const { source, cache } = setup();
  const image = source.add(id(3), bytes(4200));
  source.failAt = 2000;
  assert.is(await codeOf(cache.ensure(image)), 'APL_HYPERVISOR_IMAGE_FETCH_FAILED');
  assert.not.ok(cache.has(image));
  source.calls.length = 0;
  await cache.ensure(image);
  assert.equal(source.calls.map((c) => c.offset), [2000, 3000, 4000]);
  assert.equal(new Uint8Array(readFileSync(cache.pathOf(image))), bytes(4200));
});

const bad: Record<string, { change: (image: ReturnType<ChunkSource['add']>) => ReturnType<ChunkSource['add']>; code: string }> = {
  'a checksum mismatch': { change: (i) => ({ ...i, sha256: 'b'.repeat(64) }), code: 'APL_HYPERVISOR_IMAGE_CHECKSUM_MISMATCH' },
  'a file shorter than the desired state says': { change: (i) => ({ ...i, sizeBytes: i.sizeBytes + 10 }), code: 'APL_HYPERVISOR_IMAGE_SIZE_MISMATCH' },
  'a file longer than the desired state says': { change: (i) => ({ ...i, sizeBytes: i.sizeBytes - 10 }), code: 'APL_HYPERVISOR_IMAGE_SIZE_MISMATCH' },
};
let k = 10;
for (const [name, c] of Object.entries(bad)) {
  test(`ImageCache.ensure() answers ${name} with ${c.code} and leaves no file behind`, async () => {
    const { dir, source, cache } = setup();
    k += 1;
    const image = c.change(source.add(id(k), bytes(2500)));
    assert.is(await codeOf(cache.ensure(image)), c.code);
    assert.not.ok(existsSync(cache.pathOf(image)));
    assert.equal(readdirSync(dir), []);
  });
}

test.run();
