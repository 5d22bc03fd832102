import { createHash } from 'node:crypto';
import { badInput } from '../errors.ts';
import { imageSignatures, sniff } from './file-types.ts';

export const MAX_AVATAR_BYTES = 2 * 1024 * 1024;

/** What an avatar needs of an uploaded file (a Web `File` is one). */
export type Upload = { arrayBuffer(): Promise<ArrayBuffer> };

type Avatar = { mimeType: string; bytes: Uint8Array<ArrayBuffer>; sha256: string };

/** Reads and checks an upload: at most 2 MB of PNG, JPEG, GIF or WebP, judged by its bytes. */
export async function readAvatar(file: Upload): Promise<Avatar> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (bytes.byteLength > MAX_AVATAR_BYTES) {
    throw badInput('file', `file: must be at most ${MAX_AVATAR_BYTES} bytes (2 MB)`);
  }
  const mimeType = sniff(bytes, imageSignatures);
  if (!mimeType) throw badInput('file', 'file: must be a PNG, JPEG, GIF or WebP image');
  return { mimeType, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}
