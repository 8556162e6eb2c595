// Seat map: zoom and pan (Panzoom, touch and mouse), seat label on hover or tap, and, on the
// admin page, selecting seats by tapping them (their ids go into the form's hidden field).
(function () {
  var viewport = document.getElementById('seatmap');
  if (!viewport) return;
  var svg = viewport.querySelector('svg');
  var words = JSON.parse(viewport.dataset.words);
  var info = document.querySelector('.seat-info');
  var selectable = viewport.dataset.selectable === 'true';
  var selected = new Set();
  var panzoom = Panzoom(svg, { maxScale: 12, minScale: 0.5, step: 0.4, cursor: 'grab' });
  viewport.addEventListener('wheel', panzoom.zoomWithWheel);
  document.querySelectorAll('[data-zoom]').forEach(function (b) {
    b.addEventListener('click', function () {
      var how = b.dataset.zoom;
      if (how === 'in') panzoom.zoomIn(); else if (how === 'out') panzoom.zoomOut(); else panzoom.reset();
    });
  });

  function describe(seat) {
    var p = seat.dataset.t.split('/');
    return words.section + ' ' + p[0] + ' · ' + words.row + ' ' + p[1] + ' · ' + words.seat + ' ' + p[2];
  }
  svg.addEventListener('pointerover', function (e) {
    if (e.target.classList.contains('seat')) info.textContent = describe(e.target);
  });

  var form = document.getElementById('selection-form');
  var idsField = document.getElementById('seat-ids');
  var countField = document.getElementById('selected-count');
  function sync() {
    if (idsField) idsField.value = Array.from(selected).join(',');
    if (countField) countField.textContent = selected.size;
  }
  // A tap that did not move is a click on the seat; a drag is a pan.
  var down = null;
  svg.addEventListener('pointerdown', function (e) { down = [e.clientX, e.clientY]; });
  // Seats too small to hit with a finger: the first tap zooms in around it, the next one picks a seat.
  var TAPPABLE = 14, COMFORTABLE = 26;
  function zoomedInAt(e) {
    var any = svg.querySelector('circle.seat');
    var size = any ? any.getBoundingClientRect().width : TAPPABLE;
    if (size >= TAPPABLE) return false;
    panzoom.zoomToPoint(Math.min(panzoom.getScale() * COMFORTABLE / size, 12), e);
    return true;
  }
  svg.addEventListener('click', function (e) {
    var seat = e.target;
    if (down && Math.abs(e.clientX - down[0]) + Math.abs(e.clientY - down[1]) > 6) return;
    if (zoomedInAt(e)) return;
    if (!seat.classList.contains('seat')) return;
    info.textContent = describe(seat);
    if (viewport.dataset.selectable === 'counter') {
      viewport.dispatchEvent(new CustomEvent('seat-tap', { detail: seat }));
      return;
    }
    if (!selectable) return;
    var id = seat.dataset.id;
    if (selected.has(id)) { selected.delete(id); seat.classList.remove('sel'); }
    else { selected.add(id); seat.classList.add('sel'); }
    sync();
  });
  var clear = document.getElementById('clear-selection');
  if (clear) clear.addEventListener('click', function () {
    selected.clear();
    svg.querySelectorAll('.sel').forEach(function (s) { s.classList.remove('sel'); });
    sync();
  });
  // Zoom, pan and (after a refused change) the selection survive the page reload that follows a form:
  // a seller or admin keeps working where they were.
  var memoryKey = 'seatmap:' + (viewport.dataset.memory || location.pathname);
  function formValues() {
    var values = {};
    if (form) form.querySelectorAll('select, input:not([type=hidden])').forEach(function (el) {
      if (el.name) values[el.name] = el.value;
    });
    return values;
  }
  function remember() {
    var pan = panzoom.getPan();
    sessionStorage.setItem(memoryKey, JSON.stringify({ scale: panzoom.getScale(), x: pan.x, y: pan.y,
      ids: Array.from(selected), values: formValues(), at: Date.now() }));
  }
  document.addEventListener('submit', remember);
  window.addEventListener('pagehide', remember);
  try {
    var kept = JSON.parse(sessionStorage.getItem(memoryKey) || 'null');
    if (kept && Date.now() - kept.at < 30 * 60 * 1000) {
      panzoom.zoom(kept.scale, { animate: false });
      setTimeout(function () { panzoom.pan(kept.x, kept.y, { animate: false }); });
      if (selectable && document.querySelector('.flash.error')) {
        kept.ids.forEach(function (id) {
          var seat = svg.querySelector('circle[data-id="' + id + '"]');
          if (seat) { selected.add(id); seat.classList.add('sel'); }
        });
        Object.keys(kept.values || {}).forEach(function (name) {  // the action chosen, the reason typed
          var el = form && form.querySelector('[name="' + name + '"]');
          if (el) { el.value = kept.values[name]; el.dispatchEvent(new Event('change', { bubbles: true })); }
        });
      }
    }
  } catch (err) { /* storage off or unreadable: start from the whole map */ }
  if (form) sync();
  window.seatmapDescribe = describe;
  // Zoom so that every seat in ``ids`` is on screen (a group proposed over two rows must show both).
  window.seatmapShow = function (ids) {
    var seats = ids.map(function (id) { return svg.querySelector('circle[data-id="' + id + '"]'); })
      .filter(Boolean);
    if (!seats.length) return;
    panzoom.reset({ animate: false });
    setTimeout(function () {
      var box = viewport.getBoundingClientRect();
      var rects = seats.map(function (s) { return s.getBoundingClientRect(); });
      var left = Math.min.apply(null, rects.map(function (r) { return r.left; }));
      var right = Math.max.apply(null, rects.map(function (r) { return r.right; }));
      var top = Math.min.apply(null, rects.map(function (r) { return r.top; }));
      var bottom = Math.max.apply(null, rects.map(function (r) { return r.bottom; }));
      var cx = (left + right) / 2, cy = (top + bottom) / 2;
      var halfW = Math.max((right - left) / 2, 1), halfH = Math.max((bottom - top) / 2, 1);
      // zooming keeps (cx, cy) in place: the seats stay inside the viewport if they fit around it
      var room = Math.min((cx - box.left) / halfW, (box.right - cx) / halfW, (cy - box.top) / halfH,
        (box.bottom - cy) / halfH) * 0.8;
      var scale = Math.max(1, Math.min(room, COMFORTABLE / Math.max(rects[0].width, 1), 12));
      if (scale > 1) panzoom.zoomToPoint(scale, { clientX: cx, clientY: cy }, { animate: false });
    });
  };
})();
