// The counter page: tap seats to hold them (or ask for the best N adjacent), see the total and the
// change, show the PromptPay QR, and watch other counters' sales arrive on the map (polling).
(function () {
  var data = JSON.parse(document.getElementById('counter-data').textContent);
  var viewport = document.getElementById('seatmap');
  var svg = viewport.querySelector('svg');
  var csrf = document.querySelector('#sale-form input[name=csrf_token]').value;
  var selected = new Set(data.held);
  var total = 0;
  var errorBox = document.getElementById('counter-error');
  var keyField = document.getElementById('idempotency-key');
  if (!keyField.value) keyField.value = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());

  function seat(id) { return svg.querySelector('circle[data-id="' + id + '"]'); }
  function baht(satang) {
    return (satang / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  function post(url, body) {
    return fetch(url, { method: 'POST', credentials: 'same-origin', body: JSON.stringify(body || {}),
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf } })
      .then(function (r) { return r.json().then(function (j) { j._status = r.status; return j; }); });
  }
  function render() {
    svg.querySelectorAll('.sel').forEach(function (s) { s.classList.remove('sel'); });
    var list = document.getElementById('selected-list');
    list.innerHTML = '';
    Array.from(selected).forEach(function (id) {
      var s = seat(id);
      if (!s) return;
      s.classList.add('sel');
      var li = document.createElement('li');
      li.textContent = window.seatmapDescribe(s);
      list.appendChild(li);
    });
    document.getElementById('selected-count').textContent = selected.size;
    document.getElementById('confirm').disabled = selected.size === 0;
    document.getElementById('seat-ids').value = Array.from(selected).join(',');
    document.getElementById('total').textContent = baht(total);
    updateChange();
    if (method() === 'promptpay') loadPromptPay();
  }
  function apply(answer) {
    if (answer.error) { errorBox.textContent = answer.message; return; }
    errorBox.textContent = answer.refused && answer.refused.length ? data.error_taken : '';
    selected = new Set(answer.held);
    total = answer.total_satang;
    render();
  }

  // Why a tapped seat cannot be sold here, said before asking the server (null: it may be).
  function refusal(s) {
    var owner = /\bo(\d+)\b/.exec(s.getAttribute('class'));
    if (owner && Number(owner[1]) !== data.own) return data.error_foreign;
    if (s.classList.contains('on')) return data.error_online;
    if (s.classList.contains('s')) return data.error_sold;
    if (s.classList.contains('b')) return data.error_blocked;
    return null;
  }
  viewport.addEventListener('seat-tap', function (e) {
    var s = e.detail, id = Number(s.dataset.id);
    if (selected.has(id)) { post(data.release, { seat_ids: [id] }).then(apply); return; }
    var why = refusal(s);
    if (why) { errorBox.textContent = why; return; }
    post(data.hold, { seat_ids: [id] }).then(apply);
  });
  document.getElementById('best-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var count = Number(document.getElementById('best-count').value || 4);
    post(data.best, { count: count, category: document.getElementById('best-category').value })
      .then(function (answer) {
        apply(answer);
        showProposal(answer.error ? null : answer.proposal);
        if (!answer.error) document.getElementById('confirm').focus();
      });
  });
  // The proposal for a group, on the map (zoomed so that every proposed seat shows) and in words, before
  // the seller confirms: one row, a block over adjacent rows, or a few runs close together.
  var proposalBox = document.getElementById('proposal');
  function showProposal(proposal) {
    svg.querySelectorAll('.prop').forEach(function (s) { s.classList.remove('prop'); });
    proposalBox.hidden = !proposal;
    proposalBox.dataset.kind = proposal ? proposal.kind : '';
    if (!proposal) return;
    proposalBox.querySelector('.proposal-summary').textContent = proposal.summary;
    var list = proposalBox.querySelector('.proposal-lines');
    list.innerHTML = '';
    proposal.lines.forEach(function (line) {
      var li = document.createElement('li'); li.textContent = line; list.appendChild(li);
    });
    var ids = [].concat.apply([], proposal.runs);
    ids.forEach(function (id) { var s = seat(id); if (s) s.classList.add('prop'); });
    if (window.seatmapShow) window.seatmapShow(ids);
  }
  document.getElementById('release-all').addEventListener('click', function () {
    showProposal(null);
    post(data.release).then(apply);
  });

  // Payment method: show its fields; cash shows the change; PromptPay shows the QR.
  function method() { var c = document.querySelector('input[name=payment_method]:checked'); return c ? c.value : 'cash'; }
  function showMethod() {
    document.querySelectorAll('[data-method]').forEach(function (el) { el.hidden = el.dataset.method !== method(); });
    if (method() === 'promptpay') loadPromptPay();
  }
  document.querySelectorAll('input[name=payment_method]').forEach(function (r) { r.addEventListener('change', showMethod); });
  var received = document.getElementById('received');
  function updateChange() {
    var text = (received.value || '').replace(/,/g, '');
    var given = text ? Math.round(parseFloat(text) * 100) : total;
    var change = document.getElementById('change'), label = document.getElementById('change-label');
    var short = !isNaN(given) && given < total;
    label.textContent = short ? data.short_label : data.change_label;
    change.classList.toggle('error', short);
    change.textContent = isNaN(given) ? '—' : baht(Math.abs(given - total));
  }
  received.addEventListener('input', updateChange);
  function loadPromptPay() {
    var box = document.getElementById('promptpay-qr');
    fetch(data.promptpay, { credentials: 'same-origin' }).then(function (r) { return r.json(); }).then(function (j) {
      box.innerHTML = j.svg || '';
      box.dataset.payload = j.payload || '';
      document.getElementById('promptpay-to').textContent = j.error ? j.message : j.receiver + ' · ' + baht(j.total_satang);
    });
  }

  // Live map: ask for the seats changed after the cursor (the page's, then each answer's). An unchanged
  // answer comes back as 304 with no body (the ETag of the previous answer is sent back). Holds shown as
  // held turn free when their expiry passes (on the server's clock), unless a poll says otherwise.
  var cursor = viewport.dataset.cursor;
  var etag = null;
  var skew = 0;  // server time - this device's time, in ms
  var expiries = new Map(Object.entries(JSON.parse(viewport.dataset.holds || '{}'))
    .map(function (e) { return [Number(e[0]), Date.parse(e[1])]; }));
  var stateClass = { available: 'a', held: 'h', sold: 's', blocked: 'b' };
  function show(id, state, org) {
    var s = seat(id);
    if (!s) return;
    s.classList.remove('a', 'h', 's', 'b');
    s.classList.add(stateClass[state]);
    if (org !== undefined) {
      s.setAttribute('class', s.getAttribute('class').replace(/ o\d+/g, '') + (org ? ' o' + org : ''));
    }
  }
  function expireHolds() {
    var now = Date.now() + skew;
    expiries.forEach(function (until, id) {
      if (until > now) return;
      expiries.delete(id);
      show(id, 'available');
      if (selected.delete(id)) render();
    });
  }
  function poll() {
    var headers = etag ? { 'If-None-Match': etag } : {};
    fetch(data.changes + '?cursor=' + encodeURIComponent(cursor),
      { credentials: 'same-origin', cache: 'no-store', headers: headers })
      .then(function (r) {
        if (r.status === 304) return null;
        if (!r.ok) throw new Error(String(r.status));
        etag = r.headers.get('ETag');
        return r.json();
      })
      .then(function (j) {
        if (!j) return;
        cursor = j.cursor;
        skew = Date.parse(j.now) - Date.now();
        j.seats.forEach(function (row) {
          var id = row[0];
          show(id, row[1], row[2]);
          if (row[1] === 'held' && row[4]) expiries.set(id, Date.parse(row[4])); else expiries.delete(id);
          if (row[1] !== 'held' || !row[3]) {
            if (selected.delete(id)) render();
          }
        });
      })
      .catch(function () { /* the network dropped: try again at the next tick */ })
      .finally(function () { expireHolds(); setTimeout(poll, 1000); });
  }
  showMethod();
  // The group size takes the keys from the start. Not the autofocus attribute: Chromium applies it at a
  // later rendering step, after the page's load, so a digit typed at once could be lost and the Enter
  // after it ask for the default 4 seats.
  if (document.activeElement === document.body) document.getElementById('best-count').focus();
  post(data.hold, { seat_ids: Array.from(selected) }).then(apply);  // renew our holds, learn their total
  viewport.dataset.live = 'true';  // taps hold seats from now on (the benchmarks wait for this)
  setTimeout(poll, 1000);
})();
