import { createHash } from 'node:crypto';
import type { ImageRef } from '../../../../appliance/contracts/index.ts';
import type { FetchChunk } from '../../../../services/agent/hypervisor/image-cache.ts';

/** An in-process stand-in for host.image-chunk over a set of image files held in memory. */
export class ChunkSource {
  readonly #files = new Map<string, Uint8Array>();
  readonly calls: { imageId: string; offset: number }[] = [];
  /** Fails the call at this offset once, like a controller that went away mid-fetch. */
  failAt: number | undefined;

  readonly chunkBytes: number;

  constructor(chunkBytes = 1024 * 1024) {
    this.chunkBytes = chunkBytes;
  }

  add(id: string, bytes: Uint8Array, format: ImageRef['format'] = 'raw'): ImageRef {
    this.#files.set(id, bytes);
    return { id, format, sizeBytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
  }

  readonly fetchChunk: FetchChunk = async (imageId, offset) => {
    this.calls.push({ imageId, offset });
    const file = this.#files.get(imageId);
    if (file === undefined) throw new Error(`no image ${imageId}`);
    if (this.failAt === offset) {
      this.failAt = undefined;
      throw new Error('the bus call timed out');
    }
    return { data: file.subarray(offset, offset + this.chunkBytes), sizeBytes: file.byteLength };
  };
}
