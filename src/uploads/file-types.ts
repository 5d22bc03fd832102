/** A file type known by the magic bytes it starts with; `null` matches any byte (WebP's RIFF chunk size). */
export type FileSignature = { mimeType: string; bytes: (number | null)[] };

const ascii = (text: string) => [...text].map((char) => char.charCodeAt(0));

export const imageSignatures: FileSignature[] = [
  { mimeType: 'image/png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { mimeType: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
  { mimeType: 'image/gif', bytes: ascii('GIF87a') },
  { mimeType: 'image/gif', bytes: ascii('GIF89a') },
  { mimeType: 'image/webp', bytes: [...ascii('RIFF'), null, null, null, null, ...ascii('WEBP')] },
];

export const pdfSignature: FileSignature = { mimeType: 'application/pdf', bytes: ascii('%PDF-') };

/**
 * Audio the transcription APIs take. MP3 with an ID3 tag or a bare MPEG frame header; M4A (and
 * MP4 audio) by its `ftyp` box; WAV; Ogg; WebM by its EBML header.
 */
export const audioSignatures: FileSignature[] = [
  { mimeType: 'audio/mpeg', bytes: ascii('ID3') },
  { mimeType: 'audio/mpeg', bytes: [0xff, 0xfb] },
  { mimeType: 'audio/mpeg', bytes: [0xff, 0xf3] },
  { mimeType: 'audio/mpeg', bytes: [0xff, 0xf2] },
  { mimeType: 'audio/mp4', bytes: [null, null, null, null, ...ascii('ftyp')] },
  { mimeType: 'audio/wav', bytes: [...ascii('RIFF'), null, null, null, null, ...ascii('WAVE')] },
  { mimeType: 'audio/ogg', bytes: ascii('OggS') },
  { mimeType: 'audio/webm', bytes: [0x1a, 0x45, 0xdf, 0xa3] },
];

/** The type the bytes are among `signatures`, whatever the file was called or declared to be. */
export function sniff(bytes: Uint8Array, signatures: FileSignature[]): string | undefined {
  return signatures.find(({ bytes: expected }) => expected.every((byte, index) => byte === null || bytes[index] === byte))?.mimeType;
}
