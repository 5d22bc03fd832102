import { z } from 'zod';
import { badInput } from '../../errors.ts';
import type { AgentKind } from '../../generated/prisma/enums.ts';
import { withoutNul } from '../../validation.ts';

const url = withoutNul(z.string().trim().min(1, 'must not be empty').max(2048, 'must be at most 2048 characters'));
/** Sent in an HTTP header: no spaces, nothing a header cannot carry. */
const bearer = z
  .string()
  .min(1, 'must not be empty')
  .max(1000, 'must be at most 1000 characters')
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces, since it is sent in an HTTP header');
const model = withoutNul(z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'));

/** The fields that say how an agent is called, as createAgent and updateAgent take them. */
export const connectionFields = {
  kind: z.enum(['WEBHOOK', 'OPENAI_COMPATIBLE']).nullish(),
  webhookUrl: url.nullish(),
  webhookToken: bearer.nullish(),
  baseUrl: url.refine((value) => !/[?#]/.test(value), 'must have no query or fragment: paths are added to it').nullish(),
  model: model.nullish(),
  apiKey: bearer.nullish(),
};

type ConnectionInput = { [Field in keyof typeof connectionFields]?: z.output<(typeof connectionFields)[Field]> };

/** How an agent is called, as stored: the columns that depend on its kind. */
export type Connection = {
  kind: AgentKind;
  webhookUrl: string;
  webhookToken: string | null;
  baseUrl: string | null;
  model: string | null;
  apiKey: string | null;
};

const fieldsOf = {
  WEBHOOK: ['webhookUrl', 'webhookToken'],
  OPENAI_COMPATIBLE: ['baseUrl', 'model', 'apiKey'],
} as const satisfies Record<AgentKind, (keyof ConnectionInput)[]>;

/** Where an OpenAI-compatible API answers `path` (e.g. /chat/completions), under its base URL. */
export function providerEndpoint(baseUrl: string, path: string): string {
  const endpoint = new URL(baseUrl);
  endpoint.pathname = `${endpoint.pathname.replace(/\/+$/, '')}${path}`;
  return endpoint.href;
}

/**
 * The connection an input asks for, on top of `current` (none when creating). URLs must already
 * be checked and normalised. Switching kinds needs the new kind's required fields and drops the
 * old kind's; a field of the other kind is refused rather than ignored.
 */
export function connectionOf(input: ConnectionInput, current?: Connection): Connection {
  const kind = input.kind ?? current?.kind ?? 'WEBHOOK';
  const other = kind === 'WEBHOOK' ? 'OPENAI_COMPATIBLE' : 'WEBHOOK';
  for (const field of fieldsOf[other]) {
    if (input[field] != null) throw badInput(field, `${field}: only ${other} agents have one; this agent is ${kind}`);
  }
  const kept = current?.kind === kind ? current : undefined;
  if (kind === 'WEBHOOK') {
    const webhookUrl = input.webhookUrl ?? kept?.webhookUrl;
    if (!webhookUrl) throw badInput('webhookUrl', 'webhookUrl: a WEBHOOK agent needs one');
    return { kind, webhookUrl, webhookToken: pick(input.webhookToken, kept?.webhookToken), baseUrl: null, model: null, apiKey: null };
  }
  const baseUrl = input.baseUrl ?? kept?.baseUrl;
  if (!baseUrl) throw badInput('baseUrl', 'baseUrl: an OPENAI_COMPATIBLE agent needs one, e.g. https://api.openai.com/v1');
  const model = input.model ?? kept?.model;
  if (!model) throw badInput('model', 'model: an OPENAI_COMPATIBLE agent needs one, e.g. gpt-4o-mini');
  return {
    kind,
    webhookUrl: providerEndpoint(baseUrl, '/chat/completions'),
    webhookToken: null,
    baseUrl,
    model,
    apiKey: pick(input.apiKey, kept?.apiKey),
  };
}

/** Omitted keeps what there was; null clears it. */
function pick(given: string | null | undefined, kept: string | null | undefined): string | null {
  return given === undefined ? (kept ?? null) : given;
}
