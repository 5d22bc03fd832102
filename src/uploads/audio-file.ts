import { createHash } from 'node:crypto';
import { badInput } from '../errors.ts';
import type { NamedUpload } from './attachment-file.ts';
import { audioSignatures, sniff } from './file-types.ts';

/** Ten minutes of speech at 128 kbit/s fit; the transcription APIs take up to 25 MB. */
export const MAX_AUDIO_BYTES = 10 * 1024 * 1024;

export type AudioFile = { fileName: string; mimeType: string; size: number; bytes: Uint8Array<ArrayBuffer>; sha256: string };

const extensions: Record<string, string> = {
  'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a',
  'audio/wav': 'wav',
  'audio/ogg': 'ogg',
  'audio/webm': 'webm',
};

/** The name a recording goes to a provider with: providers read the type from its extension. */
export function audioFileName(mimeType: string): string {
  return `recording.${extensions[mimeType] ?? 'bin'}`;
}

/**
 * Reads and checks an uploaded recording on `field`: MP3, M4A, WAV, Ogg or WebM, judged by its
 * bytes, at most 10 MB. Its name is made from its type (providers read the extension).
 */
export async function readAudio(file: NamedUpload, field: string): Promise<AudioFile> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (bytes.byteLength > MAX_AUDIO_BYTES) throw badInput(field, `${field}: must be at most ${MAX_AUDIO_BYTES} bytes (10 MB)`);
  if (bytes.byteLength === 0) throw badInput(field, `${field}: must not be empty`);
  const mimeType = sniff(bytes, audioSignatures);
  if (!mimeType) throw badInput(field, `${field}: must be MP3, M4A, WAV, Ogg or WebM audio`);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { fileName: audioFileName(mimeType), mimeType, size: bytes.byteLength, bytes, sha256 };
}
