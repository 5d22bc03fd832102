/**
 * Bulk data for the analytics benchmark, written with INSERT ... SELECT generate_series on one SQL
 * session (the app is stopped meanwhile: PGlite has a single session). Conversation j of the tenant
 * has 10 messages, a contact and a lead; its start is spread over the year before `anchor` by a
 * multiplicative hash of j, so batches can be added later and everything is reproducible.
 */
import type { SqlSession } from '../../src/db/client.ts';

export const MESSAGES_PER_CONVERSATION = 10;

/** Conversation j's start, and the gap between its messages (5 s to 15 min, so also its first response time). */
const CONVERSATION = `
  CROSS JOIN LATERAL (
    SELECT $2::timestamp - ((j::bigint * 2654435761) % 31536000) * interval '1 second' AS started,
           (5 + (j * 7919) % 900) * interval '1 second' AS gap
  ) AS c`;

const SESSIONS = `
  INSERT INTO channel_sessions (id, tenant_id, name, channel, status, updated_at)
  SELECT 'bench-s-' || k, $1, 'Bench ' || channel, channel::"Channel", 'CONNECTED', $2::timestamp
    FROM unnest(ARRAY['WEBSITE', 'WHATSAPP', 'INSTAGRAM', 'MESSENGER']) WITH ORDINALITY AS s(channel, k)
  ON CONFLICT (id) DO NOTHING`;

const CONTACTS = `
  INSERT INTO channel_contacts (id, tenant_id, session_id, external_id, updated_at)
  SELECT 'bench-ct-' || j, $1, 'bench-s-' || (1 + j % 4), 'visitor-' || j, $2::timestamp
    FROM generate_series($3::int, $4::int - 1) AS j`;

// Every tenth conversation is never answered; those of the last day are still open.
const CONVERSATIONS = `
  INSERT INTO channel_conversations
         (id, tenant_id, session_id, contact_id, status, last_message_at, first_response_at, closed_at, created_at)
  SELECT 'bench-c-' || j, $1, 'bench-s-' || (1 + j % 4), 'bench-ct-' || j,
         (CASE WHEN open THEN 'OPEN' ELSE 'CLOSED' END)::"ConversationStatus",
         started + 9 * gap,
         CASE WHEN j % 10 <> 0 THEN started + gap END,
         CASE WHEN NOT open THEN started + 9 * gap + interval '1 day' END,
         started
    FROM generate_series($3::int, $4::int - 1) AS j ${CONVERSATION}
   CROSS JOIN LATERAL (SELECT started > $2::timestamp - interval '1 day' AS open) AS o
   ORDER BY started`;

// Seven in ten messages come in; an unanswered conversation has only inbound ones.
const MESSAGES = `
  INSERT INTO channel_messages
         (id, tenant_id, session_id, conversation_id, direction, text, status, occurred_at, created_at)
  SELECT 'bench-m-' || (j * ${MESSAGES_PER_CONVERSATION} + k), $1, 'bench-s-' || (1 + j % 4), 'bench-c-' || j,
         direction::"MessageDirection", 'Hello, is this still available?',
         (CASE direction WHEN 'INBOUND' THEN 'RECEIVED' ELSE 'SENT' END)::"ChannelMessageStatus",
         started + k * gap, started + k * gap
    FROM generate_series($3::int, $4::int - 1) AS j ${CONVERSATION}
   CROSS JOIN generate_series(0, ${MESSAGES_PER_CONVERSATION - 1}) AS k
   CROSS JOIN LATERAL (
     SELECT CASE WHEN k % 3 = 1 AND j % 10 <> 0 THEN 'OUTBOUND' ELSE 'INBOUND' END AS direction
   ) AS d
   ORDER BY started + k * gap`;

// One lead per conversation, from its channel (one in twenty entered by hand); 1/6 HOT, 2/6 WARM, 3/6 COLD.
const LEADS = `
  INSERT INTO leads (id, tenant_id, source, intent, score, conversation_id, contact_id, created_at, updated_at)
  SELECT 'bench-l-' || j, $1,
         (CASE WHEN j % 20 = 0 THEN 'MANUAL'
               ELSE (ARRAY['WEBSITE', 'WHATSAPP', 'INSTAGRAM', 'MESSENGER'])[1 + j % 4] END)::"LeadSource",
         (ARRAY['HOT', 'WARM', 'WARM', 'COLD', 'COLD', 'COLD'])[1 + (j * 31) % 6]::"LeadIntent",
         (j * 37) % 100, 'bench-c-' || j, 'bench-ct-' || j, started + gap, started + gap
    FROM generate_series($3::int, $4::int - 1) AS j ${CONVERSATION}
   ORDER BY started`;

/**
 * Adds conversations [fromConversation, toConversation) to the tenant, with their contacts,
 * messages and leads, then analyses and vacuums the tables as autovacuum would after a bulk load.
 */
export async function seedAnalytics(
  session: SqlSession,
  tenantId: string,
  anchor: Date,
  fromConversation: number,
  toConversation: number,
): Promise<void> {
  const params = [tenantId, anchor.toISOString(), fromConversation, toConversation];
  await session.transaction(async (tx) => {
    // The rows reference each other by construction: skip the foreign-key triggers (needs a superuser).
    await tx.query("SET LOCAL session_replication_role = 'replica'");
    await tx.query(SESSIONS, params.slice(0, 2));
    for (const statement of [CONTACTS, CONVERSATIONS, MESSAGES, LEADS]) await tx.query(statement, params);
  });
  // ANALYZE first, so autovacuum has no reason to start one whose snapshot would keep VACUUM from
  // marking the new pages all-visible (index-only scans would then visit the heap).
  await session.exec('ANALYZE channel_contacts, channel_conversations, channel_messages, leads');
  await session.exec('VACUUM channel_contacts, channel_conversations, channel_messages, leads');
}

/** The tenant's channel messages in [from, to), counted by the database with no app in between. */
export async function countMessages(session: SqlSession, tenantId: string, from: Date, to: Date): Promise<number> {
  const [row] = await session.query<{ count: number }>(
    'SELECT count(*)::int AS count FROM channel_messages WHERE tenant_id = $1 AND created_at >= $2::timestamp AND created_at < $3::timestamp',
    [tenantId, from.toISOString(), to.toISOString()],
  );
  return row!.count;
}
