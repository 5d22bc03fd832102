import type { Chat, Message } from '../../generated/prisma/client.ts';

export type ChatExportFormat = 'MARKDOWN' | 'JSON';

/** A file a client can offer for download as it is. */
export type ChatExport = { filename: string; mimeType: string; content: string };

export type ExportedMessage = Pick<Message, 'id' | 'role' | 'status' | 'content' | 'error' | 'createdAt' | 'completedAt'>;

/**
 * The JSON export, version 1. Keys are only ever added (never renamed or removed) within a
 * version; times are ISO 8601 in UTC; `role` and `status` are the GraphQL enum values.
 */
export type ChatExportDocument = {
  version: 1;
  exportedAt: string;
  /** True when the chat has more messages than an export holds; `messages` are then the oldest ones. */
  truncated: boolean;
  chat: {
    id: string;
    title: string;
    agentId: string | null;
    ownerId: string;
    metadata: unknown;
    archived: boolean;
    sharedWithTeam: boolean;
    createdAt: string;
    updatedAt: string;
    lastMessageAt: string | null;
  };
  messages: {
    id: string;
    role: Message['role'];
    status: Message['status'];
    content: string;
    error: string | null;
    createdAt: string;
    completedAt: string | null;
  }[];
};

const ROLE_LABELS: Record<Message['role'], string> = { USER: 'User', ASSISTANT: 'Assistant', SYSTEM: 'System' };

export function renderExport(format: ChatExportFormat, chat: Chat, messages: ExportedMessage[], truncated: boolean): ChatExport {
  const exportedAt = new Date();
  const base = filenameBase(chat.title);
  return format === 'JSON'
    ? { filename: `${base}.json`, mimeType: 'application/json', content: toJson(chat, messages, truncated, exportedAt) }
    : { filename: `${base}.md`, mimeType: 'text/markdown; charset=utf-8', content: toMarkdown(chat, messages, truncated, exportedAt) };
}

function toJson(chat: Chat, messages: ExportedMessage[], truncated: boolean, exportedAt: Date): string {
  const document: ChatExportDocument = {
    version: 1,
    exportedAt: exportedAt.toISOString(),
    truncated,
    chat: {
      id: chat.id,
      title: chat.title,
      agentId: chat.agentId,
      ownerId: chat.ownerId,
      metadata: chat.metadata,
      archived: chat.archived,
      sharedWithTeam: chat.sharedWithTeam,
      createdAt: chat.createdAt.toISOString(),
      updatedAt: chat.updatedAt.toISOString(),
      lastMessageAt: chat.lastMessageAt?.toISOString() ?? null,
    },
    messages: messages.map((message) => ({
      id: message.id,
      role: message.role,
      status: message.status,
      content: message.content,
      error: message.error,
      createdAt: message.createdAt.toISOString(),
      completedAt: message.completedAt?.toISOString() ?? null,
    })),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** `# title`, a short header, then per message `## Role · time` and its content as written. */
function toMarkdown(chat: Chat, messages: ExportedMessage[], truncated: boolean, exportedAt: Date): string {
  const header = [
    `# ${oneLine(chat.title)}`,
    '',
    `- Chat: ${chat.id}`,
    `- Created: ${chat.createdAt.toISOString()}`,
    `- Exported: ${exportedAt.toISOString()}`,
    `- Messages: ${messages.length}${truncated ? ' (truncated: only the oldest are included)' : ''}`,
  ].join('\n');
  const sections = messages.map(
    (message) =>
      `## ${ROLE_LABELS[message.role]} · ${message.createdAt.toISOString()}${statusNote(message)}\n\n${message.content || '_(no content)_'}`,
  );
  return `${[header, ...sections].join('\n\n')}\n`;
}

function statusNote(message: ExportedMessage): string {
  switch (message.status) {
    case 'COMPLETED':
      return '';
    case 'FAILED':
      return ` (failed${message.error ? `: ${oneLine(message.error)}` : ''})`;
    case 'CANCELLED':
      return ' (cancelled)';
    case 'STREAMING':
      return ' (still being written)';
  }
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The title as a portable file name: ASCII letters and digits joined by dashes. */
function filenameBase(title: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 80)
    .replace(/^-+|-+$/g, '');
  return slug || 'chat';
}
