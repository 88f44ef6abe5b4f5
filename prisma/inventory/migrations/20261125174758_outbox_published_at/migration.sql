-- AlterTable
ALTER TABLE "outbox" ADD COLUMN     "published_at" TIMESTAMPTZ(6);

-- CreateIndex
CREATE INDEX "outbox_published_at_occurred_at_idx" ON "outbox"("published_at", "occurred_at");

-- Rows written before this column existed were delivered by CDC (the default path): mark them
-- published, so enabling the fallback relay later does not re-publish the whole history.
UPDATE "outbox" SET "published_at" = "occurred_at" WHERE "published_at" IS NULL;
