import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageRef } from '../../../appliance/contracts/index.ts';
import { describeError, isAllianceError } from '../../../appliance/errors/index.ts';
import { hypervisorErrors } from './errors.ts';

/** One piece of an image, as host.image-chunk answers: empty data at the end. */
export interface ImageChunk {
  readonly data: Uint8Array;
  readonly sizeBytes: number;
}

export type FetchChunk = (imageId: string, offset: number) => Promise<ImageChunk>;

/**
 * Images fetched once per host into `<dir>/<id>.<format>`. A fetch writes
 * `<id>.<format>.part` and renames it only once size and SHA-256 match the
 * ImageRef, so a cached file is always whole. A fetch cut short (agent
 * restart, controller away) resumes from the part file's length.
 */
export class ImageCache {
  readonly #dir: string;
  readonly #fetchChunk: FetchChunk;
  readonly #inflight = new Map<string, Promise<string>>();

  constructor(dir: string, fetchChunk: FetchChunk) {
    this.#dir = dir;
    this.#fetchChunk = fetchChunk;
  }

  pathOf(image: ImageRef): string {
    return join(this.#dir, `${image.id}.${image.format}`);
  }

  has(image: ImageRef): boolean {
    return existsSync(this.pathOf(image));
  }

  /** The cached file's path, fetching it first when needed; concurrent callers share one fetch. */
  ensure(image: ImageRef): Promise<string> {
    if (this.has(image)) return Promise.resolve(this.pathOf(image));
    let fetching = this.#inflight.get(image.id);
    if (fetching === undefined) {
      fetching = this.#fetch(image).finally(() => this.#inflight.delete(image.id));
      this.#inflight.set(image.id, fetching);
    }
    return fetching;
  }

  async #fetch(image: ImageRef): Promise<string> {
    await mkdir(this.#dir, { recursive: true });
    const final = this.pathOf(image);
    const part = `${final}.part`;
    const hash = createHash('sha256');
    let offset = await sizeOf(part);
    if (offset > image.sizeBytes) {
      await rm(part, { force: true });
      offset = 0;
    }
    // Resuming: the bytes already there count toward the checksum.
    if (offset > 0) for await (const piece of createReadStream(part, { end: offset - 1 })) hash.update(piece as Buffer);
    const file = await open(part, offset > 0 ? 'r+' : 'w');
    try {
      while (offset < image.sizeBytes) {
        let chunk: ImageChunk;
        try {
          chunk = await this.#fetchChunk(image.id, offset);
        } catch (err) {
          if (isAllianceError(err) && err.code.startsWith('APL_HYPERVISOR_')) throw err;
          throw hypervisorErrors.IMAGE_FETCH_FAILED({ imageId: image.id, offset, reason: describeError(err) }, { cause: err });
        }
        if (chunk.sizeBytes !== image.sizeBytes) await this.#mismatch(image, part, chunk.sizeBytes);
        if (chunk.data.byteLength === 0) break;
        if (offset + chunk.data.byteLength > image.sizeBytes) await this.#mismatch(image, part, offset + chunk.data.byteLength);
        await file.write(chunk.data, 0, chunk.data.byteLength, offset);
        hash.update(chunk.data);
        offset += chunk.data.byteLength;
      }
      await file.sync();
    } finally {
      await file.close();
    }
    if (offset !== image.sizeBytes) await this.#mismatch(image, part, offset);
    const actual = hash.digest('hex');
    if (actual !== image.sha256) {
      await rm(part, { force: true });
      throw hypervisorErrors.IMAGE_CHECKSUM_MISMATCH({ imageId: image.id, actual, expected: image.sha256 });
    }
    await rename(part, final);
    return final;
  }

  async #mismatch(image: ImageRef, part: string, actual: number): Promise<never> {
    await rm(part, { force: true });
    throw hypervisorErrors.IMAGE_SIZE_MISMATCH({ imageId: image.id, actual, expected: image.sizeBytes });
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}
