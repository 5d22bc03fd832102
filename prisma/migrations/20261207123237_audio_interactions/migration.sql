-- CreateEnum
CREATE TYPE "InteractionStatus" AS ENUM ('TRANSCRIBING', 'READY', 'FAILED');

-- AlterTable
ALTER TABLE "interactions" ADD COLUMN     "error" TEXT,
ADD COLUMN     "segments" JSONB,
ADD COLUMN     "status" "InteractionStatus" NOT NULL DEFAULT 'READY';

-- AlterTable
ALTER TABLE "tenants" ADD COLUMN     "transcription_agent_id" TEXT,
ADD COLUMN     "transcription_model" TEXT;

-- CreateTable
CREATE TABLE "interaction_audio" (
    "interaction_id" TEXT NOT NULL,
    "mime_type" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "sha256" TEXT NOT NULL,
    "bytes" BYTEA NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "interaction_audio_pkey" PRIMARY KEY ("interaction_id")
);

-- AddForeignKey
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_transcription_agent_id_fkey" FOREIGN KEY ("transcription_agent_id") REFERENCES "agents"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "interaction_audio" ADD CONSTRAINT "interaction_audio_interaction_id_fkey" FOREIGN KEY ("interaction_id") REFERENCES "interactions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
