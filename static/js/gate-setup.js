// The gate's setup page: entrances of the chosen session's festival, exit only where re-entry is
// allowed, and the device's name kept in this browser (localStorage) for the scanner page.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('gate-setup-data').textContent);
  var form = document.getElementById('gate-setup');
  if ('serviceWorker' in navigator) navigator.serviceWorker.register(data.sw, { scope: data.scope }).catch(function () {});
  if (!form) return;
  var session = document.getElementById('session');
  var entrance = document.getElementById('entrance');
  var device = document.getElementById('device');
  var exitChoice = document.getElementById('exit-choice');
  var KEY = 'gate.device';

  function randomChars(n) {
    var letters = 'abcdefghjkmnpqrstuvwxyz23456789', out = '', bytes = new Uint8Array(n);
    crypto.getRandomValues(bytes);
    for (var i = 0; i < n; i++) out += letters[bytes[i] % letters.length];
    return out;
  }
  device.value = localStorage.getItem(KEY) || (data.username + '-' + randomChars(4));

  function update() {
    var chosen = session.options[session.selectedIndex];
    var festival = chosen ? chosen.dataset.festival : null;
    var first = null;
    Array.prototype.forEach.call(entrance.options, function (o) {
      var mine = o.dataset.festival === festival;
      o.hidden = !mine;
      o.disabled = !mine;
      if (mine && !first) first = o;
    });
    var current = entrance.options[entrance.selectedIndex];
    if (!current || current.disabled) entrance.value = first ? first.value : '';
    document.getElementById('no-entrance').hidden = !!first;
    document.getElementById('start').disabled = !first;
    var reentry = chosen && chosen.dataset.reentry === '1';
    exitChoice.hidden = !reentry;
    if (!reentry) form.querySelector('input[name=mode][value=entry]').checked = true;
  }
  session.addEventListener('change', update);
  update();
  form.addEventListener('submit', function () {
    var name = device.value.trim().slice(0, 60);
    if (name) localStorage.setItem(KEY, name);
  });
})();
