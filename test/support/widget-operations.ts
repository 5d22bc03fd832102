import { randomBytes, randomInt } from 'node:crypto';
import type { AutoReplyInput, VisitorMessageInput } from '../generated/graphql.ts';
import { graphql } from '../generated/gql.ts';
import type { RunningApp } from './app.ts';
import { ConnectSession, CreateSession, UpdateSession } from './session-operations.ts';

export const WidgetVisitorMessage = graphql(`
  mutation WidgetVisitorMessage($input: VisitorMessageInput!) {
    visitorMessage(input: $input) {
      conversationId
      message { id sessionId conversationId direction providerMessageId text status createdAt }
      replies { id conversationId direction text status }
    }
  }
`);

export const WidgetVisitorMessages = graphql(`
  query WidgetVisitorMessages($sessionId: ID!, $publishableKey: String!, $visitorId: String!, $after: String) {
    visitorMessages(sessionId: $sessionId, publishableKey: $publishableKey, visitorId: $visitorId, after: $after) {
      id conversationId direction text status
    }
  }
`);

/** A conversation's messages as the team sees them, with why a reply failed. */
export const AutoReplyConversationMessages = graphql(`
  query AutoReplyConversationMessages($id: ID!) {
    conversation(id: $id) {
      contact { externalId }
      messages(first: 100) { edges { node { id direction providerMessageId text status error } } }
    }
  }
`);

export const SHOP_ORIGIN = 'https://shop.example';

/** A CONNECTED website session of the admin's team, allowed on `origins`, with the auto-reply given. */
export async function websiteSession(app: RunningApp, token: string, autoReply: AutoReplyInput = { mode: 'OFF' }, origins = [SHOP_ORIGIN]) {
  const { createSession } = await app.client.data(CreateSession, { input: { name: 'Website', channel: 'WEBSITE' } }, { token });
  const id = createSession.session.id;
  await app.client.data(UpdateSession, { id, input: { allowedOrigins: origins, autoReply } }, { token });
  const { connectSession } = await app.client.data(ConnectSession, { id }, { token });
  return { sessionId: id, publishableKey: connectSession.publishableKey! };
}

/** A widget visitor id as a widget would make one: random, URL-safe. */
export const newVisitorId = () => randomBytes(16).toString('base64url');

/** A made-up client address, for X-Forwarded-For (the tests run with TRUST_PROXY). */
export const newAddress = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

export type Visitor = { sessionId: string; publishableKey: string; visitorId: string; origin?: string | null; address?: string };

/** A visitor's browser: its Origin (none when null) and its address go with every request. */
export function visitorBrowser(app: RunningApp, visitor: Visitor) {
  const headers: Record<string, string> = { 'x-forwarded-for': visitor.address ?? newAddress() };
  const origin = visitor.origin === undefined ? SHOP_ORIGIN : visitor.origin;
  if (origin !== null) headers.origin = origin;
  const { sessionId, publishableKey, visitorId } = visitor;
  return {
    send: (text: string, extra: Partial<VisitorMessageInput> = {}) =>
      app.client.request(WidgetVisitorMessage, { input: { sessionId, publishableKey, visitorId, text, ...extra } }, { headers }),
    poll: (after?: string) => app.client.request(WidgetVisitorMessages, { sessionId, publishableKey, visitorId, after }, { headers }),
  };
}
