import { z } from 'zod';
import type { InventoryHealth } from '../../domain/inventory/health';
import { RESERVATION_STATUSES } from '../../domain/inventory/queries';
import type { InventoryItemView, ReservationView } from '../../domain/inventory/views';

/* The inventory API's answers, each checked against the type of the view that builds it. */

const money = z.string().regex(/^\d+\.\d{2}$/);
const timestamp = z.iso.datetime();
const count = z.int().min(0);

export const inventoryItemSchema = z.strictObject({
  productId: z.string(),
  productName: z.string(),
  description: z.string().nullable(),
  category: z.string().nullable(),
  availableQuantity: count,
  reservedQuantity: count,
  soldQuantity: count,
  unitPrice: money,
  minStockLevel: count,
  maxStockLevel: count,
  reorderQuantity: count,
  isLowStock: z.boolean(),
  isOutOfStock: z.boolean(),
  needsReordering: z.boolean(),
  version: count,
  createdAt: timestamp,
  updatedAt: timestamp,
}) satisfies z.ZodType<InventoryItemView>;

export const reservationSchema = z.strictObject({
  id: z.uuid(),
  orderId: z.string(),
  productId: z.string(),
  quantity: z.int().min(1),
  status: z.enum(RESERVATION_STATUSES),
  expiresAt: timestamp.nullable(),
  version: count,
  createdAt: timestamp,
  updatedAt: timestamp,
}) satisfies z.ZodType<ReservationView>;

const stockAlertSchema = z.strictObject({
  productId: z.string(),
  productName: z.string(),
  category: z.string().nullable(),
  availableQuantity: count,
  reservedQuantity: count,
  minStockLevel: count,
  reorderQuantity: count,
});

export const inventoryHealthSchema = z.strictObject({
  category: z.string().nullable(),
  totalItems: count,
  totalAvailable: count,
  totalReserved: count,
  totalSold: count,
  lowStockCount: count,
  outOfStockCount: count,
  needsReorderingCount: count,
  lowStockItems: z.array(stockAlertSchema),
  outOfStockItems: z.array(stockAlertSchema),
  needsReorderingItems: z.array(stockAlertSchema),
  listLimit: z.int().min(1),
}) satisfies z.ZodType<InventoryHealth>;
