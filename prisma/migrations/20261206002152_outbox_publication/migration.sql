-- AlterTable
ALTER TABLE "outbox_events" ADD COLUMN     "published_at" TIMESTAMP(3);

-- Events dispatched so far were published in the same step.
UPDATE "outbox_events" SET "published_at" = "dispatched_at" WHERE "dispatched_at" IS NOT NULL;

-- CreateIndex
CREATE INDEX "outbox_events_publication_backlog_idx" ON "outbox_events"("id") WHERE (published_at IS NULL AND dispatched_at IS NOT NULL);
