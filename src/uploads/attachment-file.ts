import { createHash } from 'node:crypto';
import { badInput } from '../errors.ts';
import { imageSignatures, pdfSignature, sniff } from './file-types.ts';

export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

/** What an attachment needs of an uploaded file (a Web `File` is one). */
export type NamedUpload = { name: string; arrayBuffer(): Promise<ArrayBuffer> };

export type AttachmentFile = { name: string; mimeType: string; size: number; bytes: Uint8Array<ArrayBuffer>; sha256: string };

/** Reads and checks an upload: at most 10 MB of PNG, JPEG, GIF, WebP or PDF, judged by its bytes. */
export async function readAttachment(file: NamedUpload): Promise<AttachmentFile> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (bytes.byteLength > MAX_ATTACHMENT_BYTES) throw badInput('file', `file: must be at most ${MAX_ATTACHMENT_BYTES} bytes (10 MB)`);
  if (bytes.byteLength === 0) throw badInput('file', 'file: must not be empty');
  const mimeType = sniff(bytes, [...imageSignatures, pdfSignature]);
  if (!mimeType) throw badInput('file', 'file: must be a PNG, JPEG, GIF or WebP image, or a PDF');
  return { name: fileName(file.name), mimeType, size: bytes.byteLength, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** The name as given, without path or control characters, at most 200 characters. */
function fileName(given: string): string {
  const base = given.split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 200);
  return clean || 'file';
}
