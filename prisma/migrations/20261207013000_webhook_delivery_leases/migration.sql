-- A claim leases a delivery in a column of its own, outside every index, so that claiming is a
-- heap-only update (no index entries); pages keep a fifth free for those updates.
ALTER TABLE "webhook_deliveries" ADD COLUMN "lease_until" TIMESTAMP(3);
ALTER TABLE "webhook_deliveries" SET (fillfactor = 80);
