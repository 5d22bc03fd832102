-- DropIndex
DROP INDEX "webhook_deliveries_endpoint_id_status_next_attempt_at_idx";

-- CreateIndex
CREATE INDEX "webhook_deliveries_pending_idx" ON "webhook_deliveries"("endpoint_id", "next_attempt_at") WHERE (status = 'PENDING');
