-- AlterTable
ALTER TABLE "outbox" ADD COLUMN     "published_at" TIMESTAMPTZ(6);

-- CreateTable
CREATE TABLE "shipment_events" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "order_id" UUID NOT NULL,
    "carrier" TEXT NOT NULL,
    "carrier_event_id" TEXT NOT NULL,
    "status" "order_status" NOT NULL,
    "tracking_number" TEXT,
    "occurred_at" TIMESTAMPTZ(6) NOT NULL,
    "received_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "shipment_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "shipment_events_order_id_occurred_at_idx" ON "shipment_events"("order_id", "occurred_at");

-- CreateIndex
CREATE UNIQUE INDEX "shipment_events_carrier_carrier_event_id_key" ON "shipment_events"("carrier", "carrier_event_id");

-- CreateIndex
CREATE INDEX "outbox_published_at_occurred_at_idx" ON "outbox"("published_at", "occurred_at");

-- AddForeignKey
ALTER TABLE "shipment_events" ADD CONSTRAINT "shipment_events_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Rows written before this column existed were delivered by CDC (the default path): mark them
-- published, so enabling the fallback relay later does not re-publish the whole history.
UPDATE "outbox" SET "published_at" = "occurred_at" WHERE "published_at" IS NULL;
