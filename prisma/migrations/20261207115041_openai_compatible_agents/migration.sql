-- CreateEnum
CREATE TYPE "AgentKind" AS ENUM ('WEBHOOK', 'OPENAI_COMPATIBLE');

-- CreateEnum
CREATE TYPE "AgentUsagePurpose" AS ENUM ('CHAT_REPLY', 'AUTO_REPLY');

-- AlterTable
ALTER TABLE "agents" ADD COLUMN     "api_key" TEXT,
ADD COLUMN     "base_url" TEXT,
ADD COLUMN     "kind" "AgentKind" NOT NULL DEFAULT 'WEBHOOK',
ADD COLUMN     "model" TEXT;

-- AlterTable
ALTER TABLE "messages" ADD COLUMN     "completion_tokens" INTEGER,
ADD COLUMN     "prompt_tokens" INTEGER;

-- CreateTable
CREATE TABLE "agent_usage" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "agent_id" TEXT NOT NULL,
    "purpose" "AgentUsagePurpose" NOT NULL,
    "reply_to_id" TEXT NOT NULL,
    "prompt_tokens" INTEGER NOT NULL,
    "completion_tokens" INTEGER NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agent_usage_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "agent_usage_tenant_id_created_at_idx" ON "agent_usage"("tenant_id", "created_at");

-- AddForeignKey
ALTER TABLE "agent_usage" ADD CONSTRAINT "agent_usage_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- An agent carries exactly the settings of its kind.
ALTER TABLE "agents" ADD CONSTRAINT "agents_kind_settings_check" CHECK (
  ("kind" = 'WEBHOOK' AND "base_url" IS NULL AND "model" IS NULL AND "api_key" IS NULL)
  OR ("kind" = 'OPENAI_COMPATIBLE' AND "base_url" IS NOT NULL AND "model" IS NOT NULL AND "webhook_token" IS NULL)
);
