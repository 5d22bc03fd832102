import { createHash } from 'node:crypto';
import { badInput } from '../errors.ts';

export const MAX_AVATAR_BYTES = 2 * 1024 * 1024;

/** What an avatar needs of an uploaded file (a Web `File` is one). */
export type Upload = { arrayBuffer(): Promise<ArrayBuffer> };

type Avatar = { mimeType: string; bytes: Uint8Array<ArrayBuffer>; sha256: string };

const ascii = (text: string) => [...text].map((char) => char.charCodeAt(0));

/** Magic bytes at the start of a file; `null` matches any byte (WebP's RIFF chunk size). */
const signatures: { mimeType: string; bytes: (number | null)[] }[] = [
  { mimeType: 'image/png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { mimeType: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
  { mimeType: 'image/gif', bytes: ascii('GIF87a') },
  { mimeType: 'image/gif', bytes: ascii('GIF89a') },
  { mimeType: 'image/webp', bytes: [...ascii('RIFF'), null, null, null, null, ...ascii('WEBP')] },
];

/** The image type the bytes are, whatever the file was called or declared to be. */
function sniff(bytes: Uint8Array): string | undefined {
  return signatures.find(({ bytes: expected }) => expected.every((byte, index) => byte === null || bytes[index] === byte))?.mimeType;
}

/** Reads and checks an upload: at most 2 MB of PNG, JPEG, GIF or WebP, judged by its bytes. */
export async function readAvatar(file: Upload): Promise<Avatar> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (bytes.byteLength > MAX_AVATAR_BYTES) {
    throw badInput('file', `file: must be at most ${MAX_AVATAR_BYTES} bytes (2 MB)`);
  }
  const mimeType = sniff(bytes);
  if (!mimeType) throw badInput('file', 'file: must be a PNG, JPEG, GIF or WebP image');
  return { mimeType, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}
