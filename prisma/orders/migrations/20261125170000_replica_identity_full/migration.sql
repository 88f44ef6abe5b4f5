-- Debezium update events carry the whole previous row ("before"), not just the key: consumers
-- compare old and new status (an order turning CANCELLED) without reading the database.
ALTER TABLE "orders" REPLICA IDENTITY FULL;
ALTER TABLE "order_items" REPLICA IDENTITY FULL;
