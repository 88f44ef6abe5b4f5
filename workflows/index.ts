export { orderSaga } from './order-saga';
export { reservationExpiry } from './reservation-expiry';
