import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { InventoryDb } from '../domain/inventory/db';
import {
  commitStock,
  InsufficientStockError,
  releaseStock,
  reserveStock,
  UnknownProductError,
} from '../domain/inventory/stock';
import type { OrdersDb } from '../domain/orders/db';
import { OrderNotFoundError, recordOrderStatus, recordShipmentSlaBreach } from '../domain/orders/order-store';
import { IdempotencyKeyTakenError, writeOrder } from '../domain/orders/place-order';
import { recordPayment } from '../domain/orders/payment-store';
import { PAYMENT_PROVIDER_BUDGET_MS } from '../workflows/activity-options';
import { FailureType } from '../workflows/contract';
import { PaymentDeclinedError, PaymentProviderTimeoutError, type PaymentGateway } from './payments/gateway';
import type { OrderActivities } from './types';

export interface ActivityDependencies {
  ordersDb: OrdersDb;
  inventoryDb: InventoryDb;
  payments: PaymentGateway;
}

/** From this attempt on (about 15 s of backoff) a failing status write is logged as an error. */
const STILL_FAILING_AFTER_ATTEMPTS = 5;

/** Business refusals end the step at once; anything else is left for Temporal to retry. */
function asBusinessFailure(error: unknown): never {
  if (error instanceof InsufficientStockError || error instanceof UnknownProductError) {
    throw ApplicationFailure.nonRetryable(error.message, FailureType.InsufficientStock, {
      productId: error.productId,
    });
  }
  if (error instanceof IdempotencyKeyTakenError) {
    throw ApplicationFailure.nonRetryable(error.message, FailureType.IdempotencyKeyTaken);
  }
  if (error instanceof OrderNotFoundError) {
    throw ApplicationFailure.nonRetryable(error.message, FailureType.OrderNotFound);
  }
  if (error instanceof PaymentDeclinedError) {
    throw ApplicationFailure.nonRetryable(error.message, FailureType.PaymentDeclined, {
      declineCode: error.declineCode,
    });
  }
  if (error instanceof PaymentProviderTimeoutError) {
    throw ApplicationFailure.retryable(error.message, FailureType.PaymentProviderTimeout);
  }
  throw error;
}

/** The activity's context, or none when a step is called outside Temporal (unit tests). */
function activityInfo() {
  try {
    return Context.current().info;
  } catch {
    return undefined;
  }
}

/**
 * A provider failure (not a decline) once authorisation has waited PAYMENT_PROVIDER_BUDGET_MS for
 * the provider since its first attempt: the step ends (PAYMENT_TIMEOUT). Before that, and for any
 * failure to record the answer in our database, Temporal retries.
 */
function giveUpOnProviderPastItsBudget(error: unknown): never {
  const info = activityInfo();
  const waitedMs = info ? Date.now() - info.scheduledTimestampMs : 0;
  if (!(error instanceof PaymentDeclinedError) && waitedMs >= PAYMENT_PROVIDER_BUDGET_MS) {
    const message = error instanceof Error ? error.message : String(error);
    throw ApplicationFailure.nonRetryable(
      `payment provider unavailable for ${Math.round(waitedMs / 1000)} s (attempt ${info?.attempt}): ${message}`,
      FailureType.PaymentProviderUnavailable,
    );
  }
  throw error;
}

/**
 * The saga's side effects. Every activity is idempotent: the database rows it writes are keyed by
 * the order (reservations, payment) or guarded by the current state (status), and the payment
 * provider is called with the workflow's idempotency key.
 */
export function createActivities({ ordersDb, inventoryDb, payments }: ActivityDependencies): OrderActivities {
  return {
    async placeOrder({ traceparent, ...priced }) {
      return writeOrder(ordersDb, priced, traceparent).catch(asBusinessFailure);
    },

    async reserveInventory({ orderId, items, orderWritten, traceparent }) {
      if (!orderWritten) {
        // Sagas before v3: the API started the saga just before its transaction committed. Until
        // the order row is visible this attempt retries; a saga whose order never committed holds nothing.
        const order = await ordersDb.order.findUnique({ where: { id: orderId }, select: { id: true } });
        if (!order)
          throw ApplicationFailure.retryable(`order ${orderId} is not committed yet`, 'OrderNotCommitted');
      }
      try {
        return { reservationIds: await reserveStock(inventoryDb, orderId, items, { traceparent }) };
      } catch (error) {
        return asBusinessFailure(error);
      }
    },

    async releaseInventory({ orderId, traceparent }) {
      return { released: await releaseStock(inventoryDb, orderId, { traceparent }) };
    },

    async commitInventory({ orderId, traceparent }) {
      await commitStock(inventoryDb, orderId, traceparent);
    },

    async authorizePayment({ orderId, amount, currency, idempotencyKey, paymentMethod, traceparent }) {
      try {
        const payment = await payments
          .authorize({ idempotencyKey, amount, currency, reference: orderId, paymentMethod })
          .catch(giveUpOnProviderPastItsBudget);
        // A repeated authorize gets the provider's current state, which may already be past it.
        await recordPayment(ordersDb, {
          orderId,
          idempotencyKey,
          status: payment.status,
          amount,
          currency,
          providerReference: payment.providerReference,
          traceparent,
        });
        return { providerReference: payment.providerReference };
      } catch (error) {
        if (error instanceof PaymentDeclinedError) {
          await recordPayment(ordersDb, {
            orderId,
            idempotencyKey,
            status: 'DECLINED',
            amount,
            currency,
            traceparent,
          });
        }
        return asBusinessFailure(error);
      }
    },

    async capturePayment({ orderId, idempotencyKey, traceparent }) {
      const payment = await payments.capture(idempotencyKey).catch(asBusinessFailure);
      await recordPayment(ordersDb, {
        orderId,
        idempotencyKey,
        status: 'CAPTURED',
        amount: payment.amount,
        currency: payment.currency,
        providerReference: payment.providerReference,
        traceparent,
      });
    },

    async voidOrRefundPayment({ orderId, idempotencyKey, traceparent }) {
      // Ask the provider, not our table: an authorization whose answer was lost exists only there.
      const current = await payments.lookup(idempotencyKey).catch(asBusinessFailure);
      if (!current || current.status === 'DECLINED') return 'NONE';
      const after =
        current.status === 'AUTHORIZED'
          ? await payments.void(idempotencyKey).catch(asBusinessFailure)
          : current.status === 'CAPTURED'
            ? await payments.refund(idempotencyKey).catch(asBusinessFailure)
            : current;
      await recordPayment(ordersDb, {
        orderId,
        idempotencyKey,
        status: after.status,
        amount: after.amount,
        currency: after.currency,
        providerReference: after.providerReference,
        traceparent,
      });
      log.info('payment compensated', { orderId, status: after.status });
      return after.status === 'VOIDED' ? 'VOIDED' : after.status === 'REFUNDED' ? 'REFUNDED' : 'NONE';
    },

    async recordOrderStatus(change) {
      try {
        await recordOrderStatus(ordersDb, change);
      } catch (error) {
        // A confirmed order's status is retried without a deadline: say so loudly while it fails.
        const { attempt } = Context.current().info;
        if (attempt >= STILL_FAILING_AFTER_ATTEMPTS) {
          log.error('order status still not recorded', {
            orderId: change.orderId,
            status: change.status,
            attempt,
            error: error instanceof Error ? error.message : String(error),
          });
        }
        asBusinessFailure(error);
      }
    },

    async raiseShipmentSlaAlert({ orderId, sla, traceparent }) {
      log.warn('shipment SLA breached', { orderId, sla });
      try {
        await recordShipmentSlaBreach(ordersDb, orderId, sla, traceparent);
      } catch (error) {
        asBusinessFailure(error);
      }
    },
  };
}
