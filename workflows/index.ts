export { orderSaga } from './order-saga';
export { outboxCleanup } from './outbox-cleanup';
export { reservationExpiry } from './reservation-expiry';
