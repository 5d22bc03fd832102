import type { IncomingMessage } from 'node:http';

/**
 * The request's raw bytes, or null once they exceed `limit` (by the declared Content-Length, or
 * while a chunked body streams in): reading stops there, and the caller answers 413.
 */
export async function readBodyWithin(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
