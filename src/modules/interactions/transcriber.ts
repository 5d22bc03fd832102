import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { OutboundError, type OutboundHttp } from '../../outbound/http-client.ts';
import type { AudioFile } from '../../uploads/audio-file.ts';
import { providerEndpoint } from '../agents/kinds.ts';
import { providerRefusal } from '../agents/calling/provider-refusal.ts';
import type { TranscriptSegment } from './messages.ts';

/** Where and with what an OpenAI-compatible API transcribes: an agent's base URL and key, and a model. */
export type TranscriptionApi = { baseUrl: string; apiKey: string | null; model: string };

export type Transcript = { text: string; segments: TranscriptSegment[] | null };

/** The most transcript answer read: hours of speech as verbose JSON. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

const segment = z.object({
  speaker: z.string().max(100).nullish(),
  start: z.number().nonnegative(),
  end: z.number().nonnegative(),
  text: z.string(),
});
/** OpenAI's `json`, `verbose_json` and `diarized_json` answers, and what vendors copy of them. */
const answer = z.object({ text: z.string(), segments: z.array(z.unknown()).nullish() });

/**
 * Sends a recording to `<baseUrl>/audio/transcriptions` (multipart: file, model,
 * `response_format=verbose_json`) and reads the transcript, with segments and speakers where the
 * provider gives them. Never throws for the provider's failures: they are a reason, written for
 * the team. Throws only when `signal` aborts (the server is stopping).
 */
export class Transcriber {
  constructor(
    private readonly http: OutboundHttp,
    private readonly timeoutMs: number,
  ) {}

  async transcribe(api: TranscriptionApi, audio: AudioFile, signal: AbortSignal): Promise<{ transcript: Transcript } | { reason: string }> {
    const boundary = `----convo-graph-${randomBytes(12).toString('hex')}`;
    const body = multipart(boundary, [
      { name: 'model', value: api.model },
      { name: 'response_format', value: 'verbose_json' },
      { name: 'file', fileName: audio.fileName, contentType: audio.mimeType, bytes: audio.bytes },
    ]);
    const headers: Record<string, string> = { 'content-type': `multipart/form-data; boundary=${boundary}`, accept: 'application/json' };
    if (api.apiKey) headers.authorization = `Bearer ${api.apiKey}`;
    let response;
    try {
      const url = providerEndpoint(api.baseUrl, '/audio/transcriptions');
      response = await this.http.request(url, { method: 'POST', headers, body, timeoutMs: this.timeoutMs, signal }, MAX_ANSWER_BYTES);
    } catch (error) {
      if (error instanceof OutboundError && error.kind === 'aborted') throw error;
      if (error instanceof OutboundError && error.kind === 'timeout') return { reason: `The provider did not transcribe within ${this.timeoutMs / 1000} s` };
      return { reason: `The provider could not be reached: ${error instanceof OutboundError ? error.message : 'the connection broke off'}` };
    }
    if (response.status < 200 || response.status > 299) {
      return { reason: providerRefusal(response.status, response.headers['retry-after'] as string | undefined, response.body, api.apiKey) };
    }
    if (response.truncated) return { reason: `The provider's transcript is larger than ${MAX_ANSWER_BYTES} bytes` };
    return transcriptOf(response.body);
  }
}

function transcriptOf(body: string): { transcript: Transcript } | { reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { reason: "The provider's transcript is not valid JSON" };
  }
  const parsed = answer.safeParse(value);
  if (!parsed.success) return { reason: "The provider's answer has no transcript text" };
  const segments = (parsed.data.segments ?? []).flatMap((entry) => {
    const read = segment.safeParse(entry);
    return read.success ? [{ speaker: read.data.speaker ?? null, start: read.data.start, end: read.data.end, text: read.data.text.trim() }] : [];
  });
  return { transcript: { text: parsed.data.text.trim(), segments: segments.length > 0 ? segments : null } };
}

type Part = { name: string; value: string } | { name: string; fileName: string; contentType: string; bytes: Uint8Array };

/** A multipart/form-data body (RFC 7578). */
function multipart(boundary: string, parts: Part[]): Buffer {
  const chunks = parts.flatMap((part) => {
    const head =
      'value' in part
        ? `--${boundary}\r\ncontent-disposition: form-data; name="${part.name}"\r\n\r\n`
        : `--${boundary}\r\ncontent-disposition: form-data; name="${part.name}"; filename="${part.fileName}"\r\ncontent-type: ${part.contentType}\r\n\r\n`;
    return [Buffer.from(head), 'value' in part ? Buffer.from(part.value) : Buffer.from(part.bytes), Buffer.from('\r\n')];
  });
  return Buffer.concat([...chunks, Buffer.from(`--${boundary}--\r\n`)]);
}
