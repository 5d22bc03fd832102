-- CreateEnum
CREATE TYPE "JobStatus" AS ENUM ('PENDING', 'DONE', 'FAILED');

-- CreateTable
CREATE TABLE "consumer_jobs" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "consumer" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "ordering_key" TEXT,
    "payload" JSONB NOT NULL,
    "status" "JobStatus" NOT NULL DEFAULT 'PENDING',
    "attempt_count" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP,
    "lease_token" TEXT,
    "last_error" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMP(3),

    CONSTRAINT "consumer_jobs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "effect_keys" (
    "key" TEXT NOT NULL,
    "result" JSONB,
    "done_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "effect_keys_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "consumer_jobs_due_idx" ON "consumer_jobs"("tenant_id", "next_attempt_at", "id") WHERE (status = 'PENDING');

-- CreateIndex
CREATE INDEX "consumer_jobs_ordering_idx" ON "consumer_jobs"("ordering_key", "id") WHERE (status = 'PENDING' AND ordering_key IS NOT NULL);

-- CreateIndex
CREATE INDEX "consumer_jobs_tenant_id_idx" ON "consumer_jobs"("tenant_id");

-- CreateIndex
CREATE INDEX "consumer_jobs_finished_at_idx" ON "consumer_jobs"("finished_at");

-- CreateIndex
CREATE UNIQUE INDEX "consumer_jobs_consumer_key_key" ON "consumer_jobs"("consumer", "key");

-- CreateIndex
CREATE INDEX "effect_keys_done_at_idx" ON "effect_keys"("done_at");

-- CreateIndex
CREATE INDEX "outbox_events_undispatched_idx" ON "outbox_events"("tenant_id", "id") WHERE (dispatched_at IS NULL);

-- AddForeignKey
ALTER TABLE "consumer_jobs" ADD CONSTRAINT "consumer_jobs_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
