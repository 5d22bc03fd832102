import type { Viewer } from '../../auth/viewer.ts';
import { badInput } from '../../errors.ts';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.ts';
import { readAttachment, type NamedUpload } from '../../uploads/attachment-file.ts';
import { findVisibleChat } from './access.ts';

/** The route attachments are served under; the id and the hash in the URL make it unguessable and immutable. */
export const ATTACHMENT_PATH_PREFIX = '/attachments/';

export const MAX_ATTACHMENTS_PER_MESSAGE = 10;

/** An upload no message was sent with for this long is deleted: its uploader left it behind. */
export const UNSENT_ATTACHMENT_TTL_MS = 24 * 60 * 60_000;

/** What the API and the agent are shown of an attachment: never its bytes. */
export const attachmentFields = { id: true, name: true, mimeType: true, size: true, sha256: true, createdAt: true } as const;

export function attachmentPath(attachment: { id: string; sha256: string }): string {
  return `${ATTACHMENT_PATH_PREFIX}${attachment.id}/${attachment.sha256}`;
}

/**
 * Files on chat messages. A file is uploaded to a chat the viewer sees, checked by its bytes and
 * kept with its hash; it belongs to no message until the uploader sends one with it
 * (`sendMessage`'s `attachmentIds`). It is served at a URL naming its id and hash, without
 * credentials, as avatars are, so an agent can fetch it. Uploads left unsent for a day are
 * deleted: the uploader's own in that chat at their next upload, everyone's by a sweep.
 */
export class ChatAttachments {
  constructor(private readonly prisma: PrismaClient) {}

  async upload(viewer: Viewer, chatId: string, file: NamedUpload) {
    const chat = await findVisibleChat(this.prisma, viewer, chatId);
    const { name, mimeType, size, bytes, sha256 } = await readAttachment(file);
    const uploaded = await this.prisma.chatAttachment.create({
      data: { tenantId: viewer.tenantId, chatId: chat.id, uploadedById: viewer.userId, name, mimeType, size, sha256, bytes },
      select: attachmentFields,
    });
    await this.deleteUnsent({ chatId: chat.id, uploadedById: viewer.userId });
    return uploaded;
  }

  /** Deletes uploads no message was sent with for UNSENT_ATTACHMENT_TTL_MS (among `where`'s); answers how many. */
  async deleteUnsent(where: Prisma.ChatAttachmentWhereInput = {}): Promise<number> {
    const before = new Date(Date.now() - UNSENT_ATTACHMENT_TTL_MS);
    const { count } = await this.prisma.chatAttachment.deleteMany({ where: { ...where, messageId: null, createdAt: { lt: before } } });
    return count;
  }

  /** A file by the id and hash its URL names; null when they do not match. */
  findServed(id: string, sha256: string) {
    return this.prisma.chatAttachment.findFirst({ where: { id, sha256 }, select: { mimeType: true, bytes: true, name: true } });
  }
}

/**
 * In the transaction that sends `messageId`: gives it the viewer's own unsent uploads to the chat.
 * BAD_USER_INPUT (`attachmentIds`) when any is not one of them, so nothing is half attached.
 */
export async function attachToMessage(tx: Prisma.TransactionClient, viewer: Viewer, chatId: string, messageId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const { count } = await tx.chatAttachment.updateMany({
    where: { id: { in: ids }, chatId, tenantId: viewer.tenantId, uploadedById: viewer.userId, messageId: null },
    data: { messageId },
  });
  if (count !== ids.length) throw badInput('attachmentIds', 'attachmentIds: each must be a file you uploaded to this chat and have not sent yet');
}
