-- A claim found its heads by walking every due job of a tenant, each checked against its
-- sequence: with a backlog behind sequences already running, that walk read the whole backlog
-- on every claim. It now skips from one pending sequence to the next (sequences_idx), and reads
-- unordered jobs per consumer (unordered_due_idx), so that its cost follows the number of
-- sequences, not of jobs.
-- DropIndex
DROP INDEX "consumer_jobs_due_idx";

-- DropIndex
DROP INDEX "consumer_jobs_ordering_idx";

-- CreateIndex
CREATE INDEX "consumer_jobs_unordered_due_idx" ON "consumer_jobs"("tenant_id", "consumer", "next_attempt_at", "id") WHERE (status = 'PENDING' AND ordering_key IS NULL);

-- CreateIndex
CREATE INDEX "consumer_jobs_sequences_idx" ON "consumer_jobs"("tenant_id", "consumer", "ordering_key", "id") WHERE (status = 'PENDING' AND ordering_key IS NOT NULL);

-- CreateIndex
CREATE INDEX "consumer_jobs_sequence_waits_idx" ON "consumer_jobs"("ordering_key", "next_attempt_at") WHERE (status = 'PENDING' AND ordering_key IS NOT NULL);
