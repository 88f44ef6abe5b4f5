-- Debezium update events carry the whole previous row ("before"), not just the key: consumers
-- see how much stock an update added (a restock) without reading the database.
ALTER TABLE "inventory_items" REPLICA IDENTITY FULL;
