-- AlterEnum
ALTER TYPE "AgentUsagePurpose" ADD VALUE 'LEAD_INTENT';

-- AlterEnum
ALTER TYPE "IntentSource" ADD VALUE 'AI';

-- AlterTable
ALTER TABLE "tenants" ADD COLUMN     "intent_agent_id" TEXT;

-- AddForeignKey
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_intent_agent_id_fkey" FOREIGN KEY ("intent_agent_id") REFERENCES "agents"("id") ON DELETE SET NULL ON UPDATE CASCADE;
