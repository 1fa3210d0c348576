import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { IMAGE_CHUNK_BYTES } from '../../../appliance/contracts/index.ts';

/** The first four bytes of every qcow2 file. */
const QCOW2_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb]);

export interface ReceivedImage {
  readonly sha256: string;
  readonly sizeBytes: number;
  /** Whether the file starts with the qcow2 magic. */
  readonly looksQcow2: boolean;
}

/** Thrown by receive() when the stream grows past maxBytes. */
export class ImageTooLarge extends Error {}

/**
 * Image files in <data-dir>/images/<id>: received as a stream (hashed on the
 * way, written to <id>.part and renamed when complete) and read back in
 * chunks for the hosts.
 */
export class ImageFiles {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  path(id: string): string {
    return join(this.#dir, id);
  }

  /** Writes the stream to the image's file; nothing is left behind if it fails. */
  async receive(id: string, body: Readable, options: { maxBytes: number }): Promise<ReceivedImage> {
    await mkdir(this.#dir, { recursive: true, mode: 0o750 });
    const part = `${this.path(id)}.part`;
    const hash = createHash('sha256');
    let size = 0;
    let head = Buffer.alloc(0);
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > options.maxBytes) return done(new ImageTooLarge(`more than ${options.maxBytes} bytes`));
        if (head.length < QCOW2_MAGIC.length) head = Buffer.concat([head, chunk.subarray(0, QCOW2_MAGIC.length - head.length)]);
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, meter, createWriteStream(part, { mode: 0o640 }));
      await rename(part, this.path(id));
    } catch (err) {
      await rm(part, { force: true });
      throw err;
    }
    return { sha256: hash.digest('hex'), sizeBytes: size, looksQcow2: head.equals(QCOW2_MAGIC) };
  }

  async remove(id: string): Promise<void> {
    await rm(this.path(id), { force: true });
    await rm(`${this.path(id)}.part`, { force: true });
  }

  /** At most IMAGE_CHUNK_BYTES from offset; empty at the end. */
  async chunk(id: string, offset: number): Promise<Uint8Array> {
    const file = await open(this.path(id), 'r');
    try {
      const buffer = Buffer.alloc(IMAGE_CHUNK_BYTES);
      const { bytesRead } = await file.read(buffer, 0, IMAGE_CHUNK_BYTES, offset);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, bytesRead);
    } finally {
      await file.close();
    }
  }
}
