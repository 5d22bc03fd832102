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

/** The type the bytes are among `signatures`, whatever the file was called or declared to be. */
export function sniff(bytes: Uint8Array, signatures: FileSignature[]): string | undefined {
  return signatures.find(({ bytes: expected }) => expected.every((byte, index) => byte === null || bytes[index] === byte))?.mimeType;
}
