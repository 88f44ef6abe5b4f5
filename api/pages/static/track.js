/* global document, EventSource */
// The tracking page: marks the timeline from the order's event stream (the server sends what
// already happened first, then live events; EventSource reconnects with Last-Event-ID by itself).
(function () {
  const root = document.querySelector('main.track');
  if (!root) return;
  const orderId = root.dataset.orderId;
  const token = root.dataset.token;
  const statusEl = document.getElementById('status');
  const liveEl = document.getElementById('live');
  const compensations = document.getElementById('compensations');

  const STEP_OF_EVENT = {
    ORDER_CREATED: 'placed',
    INVENTORY_RESERVED: 'reserved',
    PAYMENT_CAPTURED: 'paid',
    ORDER_CONFIRMED: 'confirmed',
    ORDER_DELIVERED: 'delivered',
    ORDER_CANCELLED: 'cancelled',
  };
  const COMPENSATIONS = {
    INVENTORY_RELEASED: 'Reserved stock released',
    PAYMENT_VOIDED: 'Payment authorisation voided',
    PAYMENT_REFUNDED: 'Payment refunded',
  };
  const STATUS_RANK = { PENDING: 0, CONFIRMED: 1, PROCESSING: 2, SHIPPED: 3, DELIVERED: 4, CANCELLED: 5 };

  function setStatus(status) {
    if (!status || STATUS_RANK[status] === undefined) return;
    if (STATUS_RANK[status] < STATUS_RANK[statusEl.dataset.status]) return;
    statusEl.dataset.status = status;
    statusEl.textContent = status;
  }

  function mark(step, at) {
    const item = root.querySelector('[data-step="' + step + '"]');
    if (!item) return;
    item.hidden = false;
    item.classList.add('done');
    const time = item.querySelector('time');
    if (at && !time.textContent) {
      time.dateTime = at;
      time.textContent = new Date(at).toLocaleString();
    }
  }

  function stepOf(event) {
    if (event.type === 'ORDER_STATUS_UPDATED' && event.status === 'SHIPPED') return 'shipped';
    if (event.type === 'ORDER_SHIPMENT_EVENT') return event.status === 'DELIVERED' ? 'delivered' : 'shipped';
    return STEP_OF_EVENT[event.type];
  }

  function apply(event) {
    const step = stepOf(event);
    if (step) mark(step, event.occurredAt);
    if (event.type.indexOf('ORDER_') === 0 && event.type !== 'ORDER_SHIPMENT_SLA_BREACHED')
      setStatus(event.status);
    if (event.type === 'ORDER_CANCELLED' && event.reason) {
      document.getElementById('cancel-reason').textContent = event.reason;
    }
    const undone = COMPENSATIONS[event.type];
    if (undone) {
      compensations.hidden = false;
      const line = document.createElement('li');
      line.textContent = undone;
      compensations.querySelector('ul').appendChild(line);
    }
  }

  const stream = new EventSource(
    '/api/orders/' + encodeURIComponent(orderId) + '/stream?token=' + encodeURIComponent(token),
  );
  stream.addEventListener('open', function () {
    liveEl.textContent = 'live';
    liveEl.classList.add('on');
  });
  stream.addEventListener('error', function () {
    liveEl.textContent = 'reconnecting';
    liveEl.classList.remove('on');
  });
  stream.addEventListener('snapshot', function (message) {
    const snapshot = JSON.parse(message.data);
    setStatus(snapshot.status);
    mark('placed', snapshot.createdAt);
    if (snapshot.status === 'CANCELLED') {
      mark('cancelled');
      if (snapshot.cancellationReason)
        document.getElementById('cancel-reason').textContent = snapshot.cancellationReason;
    }
  });
  stream.addEventListener('order-event', function (message) {
    apply(JSON.parse(message.data));
  });
})();
