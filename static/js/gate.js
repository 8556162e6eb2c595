// The gate's scanner page: camera (qr-scanner) and hand scanner (a focused input) feed one scan
// function; the answer fills the screen at once, with a sound and a vibration per colour.
//
// Online, each scan goes to POST /api/v1/checkins. Offline (no network, or the server not
// answering), the page decides on the device with what it keeps in IndexedDB: the public key (the
// Ed25519 signature is checked with WebCrypto) and the session's gate bundle (refreshed by deltas
// every 15 s while online), plus this device's own queued scans; the answer is shown the same way
// with an "offline" mark and the scan is queued. When the network is back, the queue goes to
// POST /api/v1/checkins/batch in one request; conflicts (a ticket another device admitted first)
// are shown in a notice that stays until tapped.
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('gate-data').textContent);
  var T = D.text;
  var SESSION = D.session_id, ENTRANCE = D.entrance_id, MODE = D.mode;
  var BUNDLE_EVERY_MS = 15000, COUNTS_EVERY_MS = 5000, ANSWER_MS = 2000, SAME_CODE_MS = 3000;
  var ONLINE_WAIT_MS = 2500;  // a scan waits this long for the server, then is decided here
  var DELTA_OVERLAP_MS = 60000;  // deltas ask a little further back than needed (a write in flight)
  var BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  var $ = function (id) { return document.getElementById(id); };

  // ---- device name ---------------------------------------------------------------------------
  function randomChars(n) {
    var letters = 'abcdefghjkmnpqrstuvwxyz23456789', out = '', bytes = new Uint8Array(n);
    crypto.getRandomValues(bytes);
    for (var i = 0; i < n; i++) out += letters[bytes[i] % letters.length];
    return out;
  }
  function newNonce() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
  }
  var DEVICE = (localStorage.getItem('gate.device') || '').slice(0, 60);
  if (!DEVICE) { DEVICE = D.username + '-' + randomChars(4); localStorage.setItem('gate.device', DEVICE); }
  $('device-name').textContent = DEVICE;

  // ---- IndexedDB -----------------------------------------------------------------------------
  // bundles: one per session (rules, entrances, seats, void, reissued, generated_at)
  // admissions: [session_id, ticket_id] -> state, first_at, entrance (from the bundle and online answers)
  // queue: offline scans waiting to be sent, by nonce; kv: the public key
  var dbReady = new Promise(function (resolve, reject) {
    var open = indexedDB.open('gate', 1);
    open.onupgradeneeded = function () {
      var db = open.result;
      db.createObjectStore('bundles', { keyPath: 'session_id' });
      db.createObjectStore('admissions', { keyPath: ['session_id', 'ticket_id'] }).createIndex('session', 'session_id');
      db.createObjectStore('queue', { keyPath: 'nonce' });
      db.createObjectStore('kv');
    };
    open.onsuccess = function () { resolve(open.result); };
    open.onerror = function () { reject(open.error); };
  });
  // Run fn(transaction) in one transaction; resolves with what fn returned (an IDBRequest: its result).
  function idb(stores, mode, fn) {
    return dbReady.then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(stores, mode), out = fn(t);
        t.oncomplete = function () { resolve(out instanceof IDBRequest ? out.result : out); };
        t.onerror = t.onabort = function () { reject(t.error); };
      });
    });
  }

  // ---- what the device knows -----------------------------------------------------------------
  var bundle = null;          // this session's bundle (without admissions)
  var admitted = new Map();   // ticket id -> {state, first_at, entrance}
  var queued = [];            // this device's queued scans (all sessions), oldest first
  var publicKeys = {};       // key id -> CryptoKey (every accepted ticket signing key)
  var haveFull = false;       // a full bundle came since the page opened: deltas from now on
  var reachable = true;       // the server answered the last request
  var lastCounts = null;

  function isOnline() { return navigator.onLine && reachable; }

  function loadStored() {
    return idb(['bundles', 'admissions', 'queue', 'kv'], 'readonly', function (t) {
      var got = {};
      t.objectStore('bundles').get(SESSION).onsuccess = function (e) { got.bundle = e.target.result; };
      t.objectStore('admissions').index('session').getAll(SESSION).onsuccess = function (e) { got.admissions = e.target.result; };
      t.objectStore('queue').getAll().onsuccess = function (e) { got.queue = e.target.result; };
      t.objectStore('kv').get('public_keys').onsuccess = function (e) { got.pems = e.target.result; };
      return got;
    }).then(function (got) {
      bundle = got.bundle || null;
      admitted = new Map((got.admissions || []).map(function (a) { return [a.ticket_id, a]; }));
      queued = (got.queue || []).sort(byTime);
      showQueue();
      return got.pems ? importKeys(got.pems) : null;
    });
  }
  function byTime(a, b) { return a.scanned_at < b.scanned_at ? -1 : a.scanned_at > b.scanned_at ? 1 : 0; }

  // {key id: PEM} -> publicKeys; a code names its key in the high four bits of its first byte
  function importKeys(pems) {
    var ids = Object.keys(pems);
    return Promise.all(ids.map(function (id) { return importKey(pems[id]); })).then(function (keys) {
      var next = {};
      ids.forEach(function (id, i) { next[id] = keys[i]; });
      publicKeys = next;
    });
  }
  function storeKeys(pems) {
    return idb(['kv'], 'readwrite', function (t) { t.objectStore('kv').put(pems, 'public_keys'); })
      .then(function () { return importKeys(pems); });
  }
  function importKey(pem) {
    var b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    var der = Uint8Array.from(atob(b64), function (c) { return c.charCodeAt(0); });
    return crypto.subtle.importKey('spki', der, { name: 'Ed25519' }, false, ['verify']);
  }

  // ---- network -------------------------------------------------------------------------------
  function request(url, options, waitMs) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, waitMs || 10000);
    options = Object.assign({ credentials: 'same-origin', signal: controller.signal }, options || {});
    return fetch(url, options).then(function (response) {
      clearTimeout(timer);
      setReachable(response.status < 500);
      return response;
    }, function (err) {
      clearTimeout(timer);
      setReachable(false);
      throw err;
    });
  }
  function postJson(url, body, waitMs) {
    return request(url, { method: 'POST', body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': D.csrf } }, waitMs);
  }
  function setReachable(value) {
    var was = isOnline();
    reachable = value;
    showNet();
    if (!was && isOnline()) { refreshBundle(); sync(); }
  }
  function showNet() {
    var net = $('net'), on = isOnline();
    net.dataset.state = on ? 'online' : 'offline';
    net.textContent = on ? T.online : T.offline_short;
  }
  function showQueue() {
    var mine = queued.length;
    $('queue').dataset.count = mine;
    $('queue').textContent = T.queue.replace('%(n)s', mine);
  }
  window.addEventListener('online', function () { reachable = true; showNet(); refreshBundle(); sync(); pollCounts(); });
  window.addEventListener('offline', showNet);

  // The public key and the bundle: full when the page opens, then deltas.
  function fetchKey() {
    return request(D.urls.public_key).then(function (r) { return r.ok ? r.json() : null; }).then(function (body) {
      if (!body) return;
      var pems = {};
      (body.keys || [{ key_id: 0, public_key_pem: body.public_key_pem }]).forEach(function (k) { pems[k.key_id] = k.public_key_pem; });
      return storeKeys(pems);
    }).catch(function () {});
  }
  var bundleBusy = false;
  function refreshBundle() {
    if (bundleBusy || !navigator.onLine) return Promise.resolve();
    bundleBusy = true;
    var full = !haveFull || !bundle || !bundle.seats;
    var url = D.urls.bundle;
    if (!full) url += '?since=' + encodeURIComponent(new Date(Date.parse(bundle.generated_at) - DELTA_OVERLAP_MS).toISOString());
    return request(url).then(function (r) { return r.ok ? r.json() : null; }).then(function (body) {
      if (body) return storeBundle(body);
    }).catch(function () {}).then(function () { bundleBusy = false; });
  }
  // the bundle carries every accepted public key: codes signed before a key rotation scan offline too
  function storeBundle(body) {
    return (body.public_keys ? storeKeys(body.public_keys) : Promise.resolve()).then(function () {
      return storeBundleData(body);
    });
  }
  function storeBundleData(body) {
    var next;
    if (body.full) {
      next = { session_id: SESSION, generated_at: body.generated_at, session: body.session, entrances: body.entrances,
               seats: body.seats, void: body.void, reissued: body.reissued };
    } else {
      next = Object.assign({}, bundle, { generated_at: body.generated_at, session: body.session, reissued: body.reissued,
                                         void: Array.from(new Set((bundle.void || []).concat(body.void))) });
    }
    var rows = Object.keys(body.admitted).map(function (id) {
      var a = body.admitted[id];
      return { session_id: SESSION, ticket_id: id, state: a[0], first_at: a[1], entrance: a[2] };
    });
    return idb(['bundles', 'admissions'], 'readwrite', function (t) {
      var store = t.objectStore('admissions');
      if (body.full) store.delete(IDBKeyRange.bound([SESSION, ''], [SESSION, '\uffff']));
      rows.forEach(function (row) { store.put(row); });
      t.objectStore('bundles').put(next);
    }).then(function () {
      if (body.full) admitted = new Map();
      rows.forEach(function (row) { admitted.set(row.ticket_id, row); });
      bundle = next;
      if (body.full) haveFull = true;
      document.body.dataset.bundle = 'stored';
      showCounts();
    });
  }

  // ---- the offline decision (the server's rules, checkin._decide) -----------------------------
  function decodeCode(text) {
    var s = (text || '').trim().toUpperCase();
    if (s.length !== 146) return null;
    var bytes = new Uint8Array(91), bits = 0, value = 0, n = 0;
    for (var i = 0; i < s.length; i++) {
      var v = BASE32.indexOf(s[i]);
      if (v < 0) return null;
      value = (value << 5) | v; bits += 5;
      if (bits >= 8) { bits -= 8; bytes[n++] = (value >> bits) & 0xff; }
      value &= (1 << bits) - 1;
    }
    if (value !== 0 || (bytes[0] & 0x0f) !== 1) return null;  // the unused bits are zero; format 1
    return bytes;
  }
  function uuidOf(b) {
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }
  // {ticket_id, session_id, seat_id, issue} for a genuine code, else null
  function verifyCode(text) {
    var raw = decodeCode(text);
    if (!raw) return Promise.resolve(null);
    var body = raw.slice(0, 27), signature = raw.slice(27);
    var key = publicKeys[raw[0] >> 4];  // the signing key's id
    if (!key) return Promise.resolve(null);
    return crypto.subtle.verify({ name: 'Ed25519' }, key, signature, body).then(function (good) {
      if (!good) return null;
      var view = new DataView(body.buffer);
      return { ticket_id: uuidOf(body.slice(1, 17)), session_id: view.getUint32(17), seat_id: view.getUint32(21),
               issue: view.getUint16(25) };
    }, function () { return null; });
  }
  function ticketOf(claim) {
    var seat = claim.seat_id != null && bundle.seats[String(claim.seat_id)];
    if (seat) {
      return { id: claim.ticket_id, seat_label: seat[0], stand: seat[1], section: seat[2], row: seat[3], category: seat[4],
               stand_name: { th: seat[5], en: seat[6] }, category_name: { th: seat[7], en: seat[8] } };
    }
    var l = claim.lookup || {};
    return { id: claim.ticket_id, seat_label: l.seat_label, stand: l.stand, section: l.section, row: l.row,
             category: l.category };
  }
  function entranceById(id) {
    var list = (bundle && bundle.entrances) || [];
    for (var i = 0; i < list.length; i++) if (list[i].id === id) return list[i];
    return null;
  }
  // Where the ticket stands now, this device's own queued scans included.
  function admissionOf(ticketId) {
    var state = admitted.get(ticketId) || null;
    queued.forEach(function (q) {
      if (q.session_id !== SESSION || q.ticket !== ticketId || q.result !== 'ok') return;
      if (q.mode === 'exit') state = Object.assign({}, state, { state: 'out' });
      else state = state && state.first_at ? Object.assign({}, state, { state: 'in' })
                                            : { state: 'in', first_at: q.scanned_at, entrance: q.entrance };
    });
    return state;
  }
  function decide(claim, now) {
    var ticket = ticketOf(claim);
    var answer = { result: 'ok', ticket: ticket, offline: true };
    var stand = ticket.stand;
    var reissued = bundle.reissued[claim.ticket_id] || 1;
    var boundAnywhere = bundle.entrances.some(function (e) { return e.stands.indexOf(stand) >= 0; });
    var here = entranceById(ENTRANCE);
    if (claim.seat_id != null && !bundle.seats[String(claim.seat_id)]) answer.result = 'invalid';
    else if (bundle.void.indexOf(claim.ticket_id) >= 0) answer.result = 'void';
    else if (claim.issue != null && claim.issue !== reissued) answer.result = claim.issue < reissued ? 'revoked' : 'invalid';
    else if (claim.session_id !== SESSION) answer.result = 'wrong_session';
    else if (boundAnywhere && !(here && here.stands.indexOf(stand) >= 0)) answer.result = 'wrong_entrance';
    else if (now < new Date(bundle.session.gate_opens_at)) answer.result = 'not_yet';
    else {
      var a = admissionOf(claim.ticket_id);
      if (MODE === 'exit') answer.result = a && a.state === 'in' ? 'ok' : 'not_inside';
      else if (a && !(a.state === 'out' && bundle.session.reentry_allowed)) {
        answer.result = 'already_used';
        answer.first_admitted_at = a.first_at;
        var e = entranceById(a.entrance);
        answer.first_entrance = e ? { id: e.id, code: e.code, name: e.name } : null;
      }
    }
    return answer;
  }

  // ---- one scan ------------------------------------------------------------------------------
  // scan: {code | ticket_id, nonce, scanned_at, lookup?}
  function submit(scan) {
    if (!isOnline()) return decideHere(scan);
    var body = { session_id: SESSION, entrance: ENTRANCE, device: DEVICE, nonce: scan.nonce, mode: MODE };
    if (scan.ticket_id) body.ticket_id = scan.ticket_id; else body.code = scan.code;
    return postJson(D.urls.checkin, body, ONLINE_WAIT_MS).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (answer) {
        if (r.status === 200) { remember(answer, MODE, scan.scanned_at); show(answer); pollCounts(); return; }
        if (r.status === 401 || r.status === 400) { notice(T.signed_out, 'error'); return decideHere(scan); }
        if (r.status >= 500) return decideHere(scan);
        show({ result: 'invalid', message: T.server_error.replace('%(message)s', answer.message || r.status) });
      });
    }, function () { return decideHere(scan); });  // no answer: decided here, queued with the same nonce
  }
  // What the server answered becomes what the device knows, until the next bundle says more.
  function remember(answer, mode, at) {
    if (!answer.ticket || (answer.result !== 'ok' && answer.result !== 'already_used')) return;
    var id = answer.ticket.id, before = admitted.get(id), row;
    if (answer.result === 'already_used') {
      row = { session_id: SESSION, ticket_id: id, state: 'in', first_at: answer.first_admitted_at || (before && before.first_at) || at,
              entrance: answer.first_entrance ? answer.first_entrance.id : before && before.entrance };
    } else {
      row = { session_id: SESSION, ticket_id: id, state: mode === 'exit' ? 'out' : 'in',
              first_at: before ? before.first_at : at, entrance: before ? before.entrance : ENTRANCE };
    }
    admitted.set(id, row);
    idb(['admissions'], 'readwrite', function (t) { t.objectStore('admissions').put(row); }).catch(function () {});
  }
  function decideHere(scan) {
    if (!bundle || !bundle.seats || (!Object.keys(publicKeys).length && !scan.ticket_id)) {
      show({ result: 'invalid', message: T.not_ready, offline: true });
      return Promise.resolve();
    }
    var claimed = scan.ticket_id
      ? Promise.resolve({ ticket_id: scan.ticket_id, session_id: SESSION, seat_id: null, issue: null, lookup: scan.lookup })
      : verifyCode(scan.code);
    return claimed.then(function (claim) {
      var answer = claim ? decide(claim, new Date()) : { result: 'invalid', ticket: null, offline: true };
      var item = { nonce: scan.nonce, session_id: SESSION, entrance: ENTRANCE, device: DEVICE, mode: MODE,
                   scanned_at: scan.scanned_at, result: answer.result, ticket: claim ? claim.ticket_id : null,
                   seat: seatText(answer.ticket) || null };
      if (scan.ticket_id) item.ticket_id = scan.ticket_id; else item.code = scan.code;
      queued.push(item);
      showQueue();
      show(answer);
      return idb(['queue'], 'readwrite', function (t) { t.objectStore('queue').put(item); });
    });
  }

  var lastCamera = { text: null, at: 0 };
  function scanText(text, fromCamera) {
    text = (text || '').trim();
    if (!text) return;
    if (fromCamera) {
      document.body.dataset.cameraReads = Number(document.body.dataset.cameraReads || 0) + 1;
      var now = Date.now(), same = text === lastCamera.text && now - lastCamera.at < SAME_CODE_MS;
      lastCamera = { text: text, at: now };  // a code left in view is not sent again
      if (same) return;
    }
    submit({ code: text, nonce: newNonce(), scanned_at: new Date().toISOString() });
  }

  // ---- the answer ----------------------------------------------------------------------------
  var answerBox = $('answer'), answerTimer = null;
  function localName(names) { return names ? (names[D.lang] || names.th || names.en || '') : ''; }
  var timeFormat = new Intl.DateTimeFormat(D.lang === 'th' ? 'th-TH' : 'en-GB', { timeZone: 'Asia/Bangkok', hour: '2-digit', minute: '2-digit' });
  var dayFormat = new Intl.DateTimeFormat(D.lang === 'th' ? 'th-TH' : 'en-GB', { timeZone: 'Asia/Bangkok', day: 'numeric', month: 'short' });
  function when(iso) {
    var t = new Date(iso);
    if (isNaN(t)) return '';
    var text = timeFormat.format(t);
    if (dayFormat.format(t) !== dayFormat.format(new Date())) text = dayFormat.format(t) + ' ' + text;
    return D.lang === 'th' ? text + ' น.' : text;
  }
  // 'A1 · แถว 4 · ที่นั่ง 12': what a seat is called in notices and lists
  function seatText(t) {
    if (!t || !t.seat_label) return '';
    return [t.section, t.row && (T.row + ' ' + t.row), T.seat + ' ' + t.seat_label].filter(Boolean).join(' · ');
  }
  function show(answer) {
    var colour = D.colours[answer.result] || 'red';
    var ticket = answer.ticket || null;
    answerBox.dataset.colour = colour;
    answerBox.dataset.result = answer.result;
    answerBox.dataset.offline = answer.offline ? '1' : '0';
    $('answer-title').textContent = T[colour];
    var seat = $('answer-seat');
    seat.hidden = !(ticket && ticket.seat_label);
    ['stand', 'section', 'row', 'seat'].forEach(function (key) {
      seat.querySelector('[data-fact=' + key + ']').textContent = ticket ? (ticket[key === 'seat' ? 'seat_label' : key] || '') : '';
    });
    $('answer-facts').textContent = ticket ? [localName(ticket.category_name) || ticket.category,
                                              localName(ticket.stand_name)].filter(Boolean).join(' · ') : '';
    var message = answer.message || D.messages[answer.result] || answer.result;
    $('answer-message').textContent = message;
    var whenText = '';
    if (answer.result === 'already_used' && answer.first_admitted_at) {
      var e = answer.first_entrance;
      whenText = e ? T.first_at.replace('%(time)s', when(answer.first_admitted_at))
                          .replace('%(entrance)s', e.code + ' · ' + localName(e.name))
                   : T.first_here.replace('%(time)s', when(answer.first_admitted_at));
    }
    $('answer-when').textContent = whenText;
    $('answer-offline').hidden = !answer.offline;
    answerBox.hidden = false;
    $('last').dataset.colour = colour;
    $('last').textContent = [seatText(ticket), message, whenText].filter(Boolean).join(' · ');
    signal(colour);
    clearTimeout(answerTimer);
    answerTimer = setTimeout(dismiss, ANSWER_MS);
  }
  function dismiss() {
    clearTimeout(answerTimer);
    answerBox.hidden = true;
    refocus();
  }
  answerBox.addEventListener('click', dismiss);

  // Sound (WebAudio beeps) and vibration: one high beep, two middle beeps, one long low buzz.
  var audio = null;
  function wakeAudio() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === 'suspended') audio.resume();
    } catch (e) { audio = null; }
  }
  document.addEventListener('pointerdown', wakeAudio);
  document.addEventListener('keydown', wakeAudio);
  var SOUNDS = { green: [[1320, 0, 0.12, 'sine']], amber: [[660, 0, 0.12, 'square'], [660, 0.18, 0.12, 'square']],
                 red: [[180, 0, 0.6, 'sawtooth']] };
  var BUZZ = { green: [80], amber: [120, 80, 120], red: [400, 100, 400] };
  function signal(colour) {
    if (navigator.vibrate) { try { navigator.vibrate(BUZZ[colour]); } catch (e) { /* not allowed yet */ } }
    if (!audio || audio.state !== 'running') return;
    var start = audio.currentTime + 0.01;
    SOUNDS[colour].forEach(function (tone) {
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.type = tone[3]; osc.frequency.value = tone[0];
      gain.gain.setValueAtTime(0.25, start + tone[1]);
      gain.gain.exponentialRampToValueAtTime(0.001, start + tone[1] + tone[2]);
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(start + tone[1]); osc.stop(start + tone[1] + tone[2] + 0.02);
    });
  }

  // ---- the hand scanner (keyboard wedge) -----------------------------------------------------
  var wedge = $('wedge');
  // The wedge keeps the focus, except while someone types a look-up.
  function refocus() {
    if (document.activeElement && document.activeElement.id === 'lookup-q') return;
    wedge.focus({ preventScroll: true });
  }
  // A hand scanner types keys; with a Thai keyboard layout switched on, the letters of a code come out
  // as Thai characters. The physical keys (KeyA…KeyZ, Digit0…Digit9) still say what was scanned.
  var keys = [];
  wedge.addEventListener('keydown', function (e) {
    if (e.key === 'Enter') return;
    var m = /^(?:Key([A-Z])|Digit([0-9]))$/.exec(e.code || '');
    keys.push(m ? (m[1] || m[2]) : null);
  });
  wedge.addEventListener('input', function () { if (!wedge.value) keys = []; });
  function typedText() {
    var text = wedge.value;
    if (/[^\x20-\x7e]/.test(text) && keys.length === text.length && keys.every(Boolean)) text = keys.join('');
    keys = [];
    return text;
  }
  $('wedge-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var text = typedText();
    wedge.value = '';
    scanText(text, false);
  });
  wedge.addEventListener('blur', function () { setTimeout(refocus, 0); });
  refocus();

  // ---- the camera ----------------------------------------------------------------------------
  var camera = null;
  function cameraMessage(text) { $('camera-msg').textContent = text || ''; }
  function cameraState(on) {
    $('camera-box').dataset.state = on ? 'on' : 'off';
    $('camera-toggle').textContent = on ? T.turn_off : T.turn_on;
  }
  function startCamera() {
    if (!window.QrScanner) { cameraMessage(T.no_camera); return; }
    camera = camera || new QrScanner($('camera'), function (result) { scanText(result.data, true); },
      { returnDetailedScanResult: true, preferredCamera: 'environment', highlightScanRegion: true,
        maxScansPerSecond: 12, onDecodeError: function () {} });
    camera.start().then(function () {
      cameraState(true);
      cameraMessage('');
      localStorage.setItem('gate.camera', 'on');
    }, function () {
      cameraState(false);
      cameraMessage(T.no_camera);
    });
  }
  function stopCamera() {
    if (camera) camera.stop();
    cameraState(false);
    cameraMessage(T.camera_off);
    localStorage.setItem('gate.camera', 'off');
  }
  $('camera-toggle').addEventListener('click', function () {
    if ($('camera-box').dataset.state === 'on') stopCamera(); else startCamera();
    refocus();
  });
  if (localStorage.getItem('gate.camera') === 'off') { cameraState(false); cameraMessage(T.camera_off); }
  else startCamera();

  // ---- counters ------------------------------------------------------------------------------
  function pollCounts() {
    if (!navigator.onLine) return showCounts();
    return request(D.urls.counts).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body) lastCounts = body; }, function () {}).then(showCounts);
  }
  function showCounts() {
    var c = lastCounts;
    var waiting = queued.filter(function (q) { return q.session_id === SESSION && q.result === 'ok' && q.mode === 'entry'; }).length;
    $('count-admitted').textContent = c ? String(c.admitted + waiting) : (waiting ? String(waiting) : '–');
    $('count-to-come').textContent = c ? String(Math.max(c.to_come - waiting, 0)) : '–';
    var list = $('count-by-entrance');
    list.innerHTML = '';
    ((bundle && bundle.entrances) || []).forEach(function (e) {
      var li = document.createElement('li');
      if (e.id === ENTRANCE) li.className = 'here';
      var n = c && c.by_entrance ? (c.by_entrance[String(e.id)] || 0) : null;
      if (e.id === ENTRANCE && n !== null) n += waiting;
      li.innerHTML = '<span></span><b></b>';
      li.firstChild.textContent = e.code + ' · ' + localName(e.name);
      li.lastChild.textContent = n === null ? '–' : String(n);
      list.appendChild(li);
    });
  }

  // ---- sending the queue ---------------------------------------------------------------------
  var syncing = false;
  function sync() {
    if (syncing || !isOnline() || !queued.length) return Promise.resolve();
    syncing = true;
    var groups = {};
    queued.forEach(function (q) { var k = q.session_id + '|' + q.device; (groups[k] = groups[k] || []).push(q); });
    var batches = [];
    Object.keys(groups).forEach(function (k) {
      for (var i = 0; i < groups[k].length; i += 500) batches.push(groups[k].slice(i, i + 500));
    });
    var sent = 0;
    return batches.reduce(function (done, items) {
      return done.then(function () { return sendBatch(items); }).then(function (n) { sent += n; });
    }, Promise.resolve()).catch(function () {}).then(function () {
      syncing = false;
      if (sent) { notice(T.synced.replace('%(n)s', sent), 'ok'); pollCounts(); }
    });
  }
  function sendBatch(items) {
    var first = items[0];
    var body = { session_id: first.session_id, entrance: first.entrance, device: first.device, scans: items.map(function (q) {
      var s = { nonce: q.nonce, scanned_at: q.scanned_at, mode: q.mode, result: q.result, entrance: q.entrance };
      if (q.ticket_id) s.ticket_id = q.ticket_id; else s.code = q.code;
      return s;
    }) };
    return postJson(D.urls.batch, body, 20000).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (answer) {
        if (r.status !== 200) {
          notice(r.status === 401 || r.status === 400 ? T.signed_out
                 : T.sync_refused.replace('%(message)s', answer.message || r.status), 'error');
          throw new Error('refused');
        }
        return settle(items, answer);
      });
    });
  }
  function settle(items, answer) {
    var byNonce = {};
    items.forEach(function (q) { byNonce[q.nonce] = q; });
    var done = answer.results.filter(function (a) { return byNonce[a.nonce]; });
    done.forEach(function (a) {
      var q = byNonce[a.nonce];
      if (q.session_id === SESSION) remember(a, q.mode, q.scanned_at);
      if (a.conflict) {
        notice(T.conflict.replace('%(seat)s', seatText(a.ticket) || q.seat || '?')
          .replace('%(time)s', a.first_admitted_at ? when(a.first_admitted_at) : '')
          .replace('%(entrance)s', a.first_entrance ? a.first_entrance.code + ' · ' + localName(a.first_entrance.name) : T.other_entrance),
          'conflict');
      } else if (a.result !== q.result) {
        notice(T.differs.replace('%(seat)s', seatText(a.ticket) || q.seat || '?')
          .replace('%(device)s', D.messages[q.result] || q.result).replace('%(server)s', a.message || a.result), 'error');
      }
    });
    var gone = new Set(done.map(function (a) { return a.nonce; }));
    return idb(['queue'], 'readwrite', function (t) {
      gone.forEach(function (nonce) { t.objectStore('queue').delete(nonce); });
    }).then(function () {
      queued = queued.filter(function (q) { return !gone.has(q.nonce); });
      showQueue();
      showCounts();
      return refreshBundle().then(function () { return gone.size; });
    });
  }

  // Notices stay until tapped (a conflict must be seen).
  function notice(text, kind) {
    var same = Array.prototype.some.call($('notices').children, function (p) { return p.textContent === text; });
    if (same) return;
    var box = document.createElement('p');
    box.className = 'notice ' + kind;
    box.textContent = text;
    box.addEventListener('click', function () { box.remove(); refocus(); });
    $('notices').prepend(box);
    if (kind === 'ok') setTimeout(function () { box.remove(); }, 8000);
  }

  // ---- manual look-up ------------------------------------------------------------------------
  $('lookup-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var q = $('lookup-q').value.trim();
    if (decodeCode(q)) {  // a hand scanner fired while the look-up had the focus: it is a scan
      $('lookup-q').value = '';
      wedge.focus({ preventScroll: true });
      return scanText(q, false);
    }
    lookup(q);
  });
  function lookup(q) {
    var results = $('lookup-results');
    if (!q) { results.innerHTML = ''; return; }
    if (!isOnline()) { results.innerHTML = ''; $('lookup-msg').textContent = T.lookup_offline; return; }
    request(D.urls.lookup + '?q=' + encodeURIComponent(q)).then(function (r) { return r.json(); }).then(function (body) {
      var tickets = body.tickets || [];
      $('lookup-msg').textContent = tickets.length ? '' : T.lookup_none;
      results.innerHTML = '';
      tickets.forEach(function (t) { results.appendChild(lookupRow(t, q)); });
    }, function () { results.innerHTML = ''; $('lookup-msg').textContent = T.lookup_offline; });
  }
  function lookupRow(t, q) {
    var li = document.createElement('li');
    var text = document.createElement('span');
    var state = t.status !== 'valid' ? T.not_valid : t.gate_state === 'in' ? T['in'].replace('%(time)s', when(t.first_admitted_at))
              : t.gate_state === 'out' ? T.out : '';
    text.innerHTML = '<b></b> <span></span> <small></small>';
    text.children[0].textContent = seatText(t);
    text.children[1].textContent = [t.stand, t.category, t.buyer_name].filter(Boolean).join(' · ');
    text.children[2].textContent = [t.order_id.slice(0, 8), state].filter(Boolean).join(' · ');
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'primary';
    button.textContent = MODE === 'exit' ? T.exit : T.admit;
    button.disabled = t.status !== 'valid';
    button.addEventListener('click', function () {
      submit({ ticket_id: t.ticket_id, nonce: newNonce(), scanned_at: new Date().toISOString(), lookup: t })
        .then(function () { lookup(q); });  // the list shows who is inside now
    });
    li.appendChild(text);
    li.appendChild(button);
    return li;
  }

  // ---- start ---------------------------------------------------------------------------------
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register(D.urls.sw, { scope: D.urls.scope }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      var channel = new MessageChannel();  // the worker answers once this page is kept
      channel.port1.onmessage = function () { document.body.dataset.offlineReady = '1'; };
      registration.active.postMessage({ keep: [location.href, D.urls.scope] }, [channel.port2]);
    }).catch(function () {});
  }
  showNet();
  loadStored().catch(function () {}).then(function () {
    showCounts();
    if (bundle && bundle.seats) document.body.dataset.bundle = 'stored';
    if (!navigator.onLine) return;
    return Promise.all([fetchKey(), refreshBundle()]).then(function () { sync(); pollCounts(); });
  });
  setInterval(function () { if (navigator.onLine) refreshBundle().then(sync); }, BUNDLE_EVERY_MS);
  setInterval(pollCounts, COUNTS_EVERY_MS);
})();
