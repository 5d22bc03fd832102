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
  return { name: fileName(file.name, mimeType), mimeType, size: bytes.byteLength, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

const extensions: Record<string, string> = {
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'image/gif': '.gif',
  'image/webp': '.webp',
  'application/pdf': '.pdf',
};

/**
 * The name as given, without path, control or formatting characters (no right-to-left tricks),
 * and with the extension of the type its bytes are: a PDF named `invoice.html` is saved as
 * `invoice.html.pdf`, never opened as a page.
 */
function fileName(given: string, mimeType: string): string {
  const base = (given.split(/[\\/]/).pop() ?? '').replace(/[\p{Cc}\p{Cf}]/gu, '').trim();
  const extension = extensions[mimeType] ?? '';
  const keeps = base.toLowerCase().endsWith(extension) || (mimeType === 'image/jpeg' && base.toLowerCase().endsWith('.jpeg'));
  const stem = (keeps ? base : `${base || 'file'}${extension}`).slice(-200);
  return stem || `file${extension}`;
}
