/* global document, window, fetch, sessionStorage, URLSearchParams */
// The operator view: the token lives in this tab's sessionStorage and goes out as a bearer header.
(function () {
  const TOKEN_KEY = 'trackops.operatorToken';
  const byId = (id) => document.getElementById(id);
  const errorEl = byId('error');

  function cell(text, className) {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }
  function externalLink(href, text, className) {
    const link = document.createElement('a');
    link.href = href;
    link.target = '_blank';
    link.rel = 'noopener';
    link.className = className;
    link.textContent = text;
    return link;
  }
  function card(label, value) {
    const div = document.createElement('div');
    div.className = 'card';
    const strong = document.createElement('strong');
    strong.textContent = String(value);
    div.append(strong, label);
    return div;
  }
  function api(path, init) {
    const headers = { authorization: 'Bearer ' + sessionStorage.getItem(TOKEN_KEY) };
    if (init && init.body) headers['content-type'] = 'application/json';
    return fetch(path, Object.assign({ headers: headers }, init)).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) {
          if (response.status === 401 || response.status === 403) showLogin();
          throw new Error(body.message || response.statusText);
        }
        return body;
      });
    });
  }
  function showLogin() {
    byId('login').hidden = false;
    byId('view').hidden = true;
  }

  function render(overview) {
    byId('login').hidden = true;
    byId('view').hidden = false;
    errorEl.textContent = '';
    const counts = byId('counts');
    counts.replaceChildren();
    Object.keys(overview.countsByStatus).forEach(function (status) {
      counts.append(card(status, overview.countsByStatus[status]));
    });
    const health = byId('health');
    health.replaceChildren();
    Object.keys(overview.compensations).forEach(function (type) {
      health.append(card(type, overview.compensations[type]));
    });
    health.append(
      card('dead letters pending', overview.deadLetters ? overview.deadLetters.totalPending : 'n/a'),
    );
    const dlq = byId('dlq');
    dlq.replaceChildren();
    (overview.deadLetters ? overview.deadLetters.topics : [])
      .filter(function (topic) {
        return topic.pending > 0;
      })
      .forEach(function (topic) {
        const button = document.createElement('button');
        button.textContent = 'Replay ' + topic.pending + ' from ' + topic.topic;
        button.addEventListener('click', function () {
          button.disabled = true;
          api('/api/ops/dlq/replay', { method: 'POST', body: JSON.stringify({ topic: topic.topic }) })
            .then(load)
            .catch(function (error) {
              errorEl.textContent = error.message;
            });
        });
        dlq.append(button);
      });
    const orders = byId('orders').querySelector('tbody');
    orders.replaceChildren();
    overview.orders.forEach(function (order) {
      const row = document.createElement('tr');
      row.dataset.orderId = order.id;
      const links = document.createElement('td');
      links.className = 'links';
      links.append(
        externalLink(order.sagaUrl, 'saga', 'saga-link'),
        ' ',
        externalLink(order.traceUrl, 'trace', 'trace-link'),
      );
      row.append(
        cell(order.id, 'mono'),
        cell(order.customerId),
        cell(
          order.status + (order.cancellationReason ? ' (' + order.cancellationReason + ')' : ''),
          'status',
        ),
        cell(order.totalAmount + ' ' + order.currency),
        cell(new Date(order.createdAt).toLocaleString()),
        links,
      );
      orders.append(row);
    });
    const lowStock = byId('low-stock').querySelector('tbody');
    lowStock.replaceChildren();
    overview.lowStock.forEach(function (item) {
      const row = document.createElement('tr');
      row.append(
        cell(item.productId, 'mono'),
        cell(item.productName),
        cell(String(item.available)),
        cell(String(item.minimum)),
      );
      lowStock.append(row);
    });
  }

  function load() {
    const query = new URLSearchParams();
    const status = byId('status-filter').value;
    const customerId = byId('customer-filter').value.trim();
    if (status) query.set('status', status);
    if (customerId) query.set('customerId', customerId);
    return api('/api/ops/overview?' + query.toString())
      .then(render)
      .catch(function (error) {
        errorEl.textContent = error.message;
      });
  }

  // The view refreshes itself every 5 s once it has a token, whether the token was kept from
  // before or just typed in.
  let refreshing = false;
  function loadAndRefresh() {
    load();
    if (!refreshing) {
      refreshing = true;
      window.setInterval(load, 5000);
    }
  }

  byId('login').addEventListener('submit', function (event) {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, byId('token').value.trim());
    loadAndRefresh();
  });
  byId('filters').addEventListener('submit', function (event) {
    event.preventDefault();
    load();
  });
  if (sessionStorage.getItem(TOKEN_KEY)) {
    loadAndRefresh();
  } else {
    showLogin();
  }
})();
