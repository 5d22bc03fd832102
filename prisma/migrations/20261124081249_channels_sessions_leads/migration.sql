-- CreateEnum
CREATE TYPE "Channel" AS ENUM ('WHATSAPP', 'INSTAGRAM', 'MESSENGER', 'WEBSITE');

-- CreateEnum
CREATE TYPE "SessionStatus" AS ENUM ('PENDING', 'CONNECTED', 'DISCONNECTED');

-- CreateEnum
CREATE TYPE "AutoReplyMode" AS ENUM ('OFF', 'TEXT', 'AGENT');

-- CreateEnum
CREATE TYPE "ConversationStatus" AS ENUM ('OPEN', 'CLOSED');

-- CreateEnum
CREATE TYPE "MessageDirection" AS ENUM ('INBOUND', 'OUTBOUND');

-- CreateEnum
CREATE TYPE "ChannelMessageStatus" AS ENUM ('RECEIVED', 'SENT', 'DELIVERED', 'READ', 'FAILED');

-- CreateEnum
CREATE TYPE "LeadSource" AS ENUM ('MANUAL', 'WEBSITE', 'WHATSAPP', 'INSTAGRAM', 'MESSENGER');

-- CreateEnum
CREATE TYPE "LeadIntent" AS ENUM ('HOT', 'WARM', 'COLD');

-- CreateEnum
CREATE TYPE "IntentSource" AS ENUM ('RULES', 'OVERRIDE');

-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN     "session_id" TEXT;

-- AlterTable
ALTER TABLE "tenants" ADD COLUMN     "notification_emails" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- CreateTable
CREATE TABLE "channel_sessions" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "channel" "Channel" NOT NULL,
    "status" "SessionStatus" NOT NULL DEFAULT 'PENDING',
    "status_changed_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "phone_number_id" TEXT,
    "phone_number" TEXT,
    "access_token" TEXT,
    "app_secret" TEXT,
    "verify_token" TEXT,
    "publishable_key" TEXT,
    "allowed_origins" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "auto_reply_mode" "AutoReplyMode" NOT NULL DEFAULT 'OFF',
    "auto_reply_text" TEXT,
    "auto_reply_agent_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "channel_sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "channel_contacts" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "session_id" TEXT NOT NULL,
    "external_id" TEXT NOT NULL,
    "name" TEXT,
    "phone" TEXT,
    "email" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "channel_contacts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "channel_conversations" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "session_id" TEXT NOT NULL,
    "contact_id" TEXT NOT NULL,
    "status" "ConversationStatus" NOT NULL DEFAULT 'OPEN',
    "last_message_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "first_response_at" TIMESTAMP(3),
    "closed_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "channel_conversations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "channel_messages" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "session_id" TEXT NOT NULL,
    "conversation_id" TEXT NOT NULL,
    "direction" "MessageDirection" NOT NULL,
    "provider_message_id" TEXT,
    "text" TEXT NOT NULL,
    "status" "ChannelMessageStatus" NOT NULL,
    "error" TEXT,
    "occurred_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "channel_messages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "leads" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "name" TEXT,
    "email" TEXT,
    "phone" TEXT,
    "notes" TEXT,
    "source" "LeadSource" NOT NULL,
    "intent" "LeadIntent" NOT NULL,
    "intent_source" "IntentSource" NOT NULL DEFAULT 'RULES',
    "signals" JSONB NOT NULL DEFAULT '[]',
    "score" INTEGER NOT NULL DEFAULT 0,
    "conversation_id" TEXT,
    "contact_id" TEXT,
    "hot_notified_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "leads_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "channel_sessions_publishable_key_key" ON "channel_sessions"("publishable_key");

-- CreateIndex
CREATE INDEX "channel_sessions_tenant_id_id_idx" ON "channel_sessions"("tenant_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "channel_contacts_session_id_external_id_key" ON "channel_contacts"("session_id", "external_id");

-- CreateIndex
CREATE INDEX "channel_conversations_session_id_contact_id_status_idx" ON "channel_conversations"("session_id", "contact_id", "status");

-- CreateIndex
CREATE INDEX "channel_conversations_tenant_id_created_at_idx" ON "channel_conversations"("tenant_id", "created_at");

-- CreateIndex
CREATE INDEX "channel_conversations_status_last_message_at_idx" ON "channel_conversations"("status", "last_message_at");

-- CreateIndex
CREATE INDEX "channel_messages_conversation_id_id_idx" ON "channel_messages"("conversation_id", "id");

-- CreateIndex
CREATE INDEX "channel_messages_tenant_id_created_at_direction_idx" ON "channel_messages"("tenant_id", "created_at", "direction");

-- CreateIndex
CREATE UNIQUE INDEX "channel_messages_session_id_provider_message_id_key" ON "channel_messages"("session_id", "provider_message_id");

-- CreateIndex
CREATE UNIQUE INDEX "leads_conversation_id_key" ON "leads"("conversation_id");

-- CreateIndex
CREATE INDEX "leads_tenant_id_id_idx" ON "leads"("tenant_id", "id" DESC);

-- CreateIndex
CREATE INDEX "leads_tenant_id_created_at_idx" ON "leads"("tenant_id", "created_at");

-- CreateIndex
CREATE INDEX "leads_tenant_id_source_intent_idx" ON "leads"("tenant_id", "source", "intent");

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "channel_sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Until sessions existed an endpoint's session id could name none; such an endpoint heard
-- nothing, and unbound it would hear everything, so it is switched off instead.
UPDATE "webhook_endpoints"
   SET "is_active" = false, "disabled_reason" = 'bound to a session that does not exist', "session_id" = NULL
 WHERE "session_id" IS NOT NULL;

-- AddForeignKey
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "channel_sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "channel_sessions" ADD CONSTRAINT "channel_sessions_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "channel_sessions" ADD CONSTRAINT "channel_sessions_auto_reply_agent_id_fkey" FOREIGN KEY ("auto_reply_agent_id") REFERENCES "agents"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "channel_contacts" ADD CONSTRAINT "channel_contacts_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "channel_contacts" ADD CONSTRAINT "channel_contacts_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "channel_sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "channel_conversations" ADD CONSTRAINT "channel_conversations_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "channel_conversations" ADD CONSTRAINT "channel_conversations_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "channel_sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "channel_conversations" ADD CONSTRAINT "channel_conversations_contact_id_fkey" FOREIGN KEY ("contact_id") REFERENCES "channel_contacts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "channel_messages" ADD CONSTRAINT "channel_messages_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "channel_messages" ADD CONSTRAINT "channel_messages_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "channel_sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "channel_messages" ADD CONSTRAINT "channel_messages_conversation_id_fkey" FOREIGN KEY ("conversation_id") REFERENCES "channel_conversations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "leads" ADD CONSTRAINT "leads_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "leads" ADD CONSTRAINT "leads_conversation_id_fkey" FOREIGN KEY ("conversation_id") REFERENCES "channel_conversations"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "leads" ADD CONSTRAINT "leads_contact_id_fkey" FOREIGN KEY ("contact_id") REFERENCES "channel_contacts"("id") ON DELETE SET NULL ON UPDATE CASCADE;
