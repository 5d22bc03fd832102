import type { ChannelSession } from '../../../generated/prisma/client.ts';

/**
 * A session as the API shows it and as `session.status_changed` carries it: JSON values only,
 * and no secret — the provider secrets appear only as whether they are set.
 */
export type SessionJson = {
  id: string;
  name: string;
  channel: ChannelSession['channel'];
  status: ChannelSession['status'];
  statusChangedAt: string;
  phoneNumberId: string | null;
  phoneNumber: string | null;
  hasAccessToken: boolean;
  hasAppSecret: boolean;
  hasVerifyToken: boolean;
  publishableKey: string | null;
  allowedOrigins: string[];
  autoReply: { mode: ChannelSession['autoReplyMode']; text: string | null; agentId: string | null };
  webhookUrl: string | null;
  createdAt: string;
  updatedAt: string;
};

/** The data of `session.status_changed`: the change, and the session as it left it. */
export type StatusChangedData = {
  sessionId: string;
  status: ChannelSession['status'];
  previousStatus: ChannelSession['status'];
  session: SessionJson;
};

/** Where Meta should send a session's webhooks (`GET|POST /channels/<channel>/<id>`); null for the website widget. */
export function inboundUrlOf(session: Pick<ChannelSession, 'id' | 'channel'>, publicUrl: string): string | null {
  return session.channel === 'WEBSITE' ? null : `${publicUrl}/channels/${session.channel.toLowerCase()}/${session.id}`;
}

export function toSessionJson(session: ChannelSession, publicUrl: string): SessionJson {
  return {
    id: session.id,
    name: session.name,
    channel: session.channel,
    status: session.status,
    statusChangedAt: session.statusChangedAt.toISOString(),
    phoneNumberId: session.phoneNumberId,
    phoneNumber: session.phoneNumber,
    hasAccessToken: session.accessToken !== null,
    hasAppSecret: session.appSecret !== null,
    hasVerifyToken: session.verifyToken !== null,
    publishableKey: session.publishableKey,
    allowedOrigins: session.allowedOrigins,
    autoReply: { mode: session.autoReplyMode, text: session.autoReplyText, agentId: session.autoReplyAgentId },
    webhookUrl: inboundUrlOf(session, publicUrl),
    createdAt: session.createdAt.toISOString(),
    updatedAt: session.updatedAt.toISOString(),
  };
}
