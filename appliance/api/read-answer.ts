import type { ClientRequest, IncomingMessage } from 'node:http';

/**
 * Reads an HTTP answer's body, parsed as JSON when it is JSON and as text
 * otherwise (e.g. /metrics). An answer over `maxBytes` destroys the request.
 */
export function readAnswer(req: ClientRequest, res: IncomingMessage, maxBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) req.destroy(new Error(`answer larger than ${maxBytes} bytes`));
      else chunks.push(chunk);
    });
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(JSON.parse(text));
      } catch {
        resolve(text);
      }
    });
    res.on('error', reject);
  });
}
