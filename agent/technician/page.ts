// The technician page: plain HTML, CSS and JavaScript, sized for a phone, served by the box (server.ts). Nothing in
// it is secret or per box: what it shows comes from the API once the technician logged in with the label password.
// Every element a test or a person looks for has an id; every sentence about the claim comes from the box (words.ts).

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>diemcau: hall box</title>
<link rel="stylesheet" href="/page.css">
<script src="/page.js" defer></script>
</head>
<body>
<header><h1>Hall box</h1><span id="claim-pill" class="pill"></span></header>
<form id="login" class="card">
  <h2>Log in</h2>
  <label for="password">Password on the box label</label>
  <input id="password" type="password" autocomplete="current-password" required>
  <button type="submit">Log in</button>
  <p id="login-outcome" class="outcome" role="status"></p>
</form>
<main id="main" hidden>
  <section class="card" id="box">
    <h2>This box</h2>
    <dl>
      <dt>Serial</dt><dd id="serial"></dd>
      <dt>Box id</dt><dd id="box-id"></dd>
      <dt>Hall</dt><dd id="hall"></dd>
      <dt>Claim</dt><dd id="claim-sentence"></dd>
    </dl>
    <form id="claim">
      <label for="claim-code">Install code (work order)</label>
      <input id="claim-code" autocomplete="off" autocapitalize="characters" placeholder="7KQ2-M9XD" maxlength="16">
      <button type="submit">Claim this box</button>
    </form>
    <p id="claim-outcome" class="outcome" role="status"></p>
  </section>
  <section class="card" id="network">
    <h2>Network</h2>
    <dl>
      <dt>Address</dt><dd id="net-address"></dd>
      <dt>Gateway</dt><dd id="net-gateway"></dd>
      <dt>DNS</dt><dd id="net-dns"></dd>
      <dt>Broker</dt><dd id="net-broker"></dd>
      <dt>Clock</dt><dd id="net-clock"></dd>
    </dl>
  </section>
  <section class="card" id="health"><h2>Devices</h2><ul id="devices"></ul></section>
  <section class="card" id="camera">
    <h2>Camera</h2>
    <img id="camera-img" alt="what the camera sees">
    <button id="camera-take" type="button">Take a picture</button>
    <p id="camera-outcome" class="outcome" role="status"></p>
  </section>
  <section class="card" id="mic">
    <h2>Microphone</h2>
    <div class="meter"><div id="meter-bar"></div></div>
    <p id="meter-db">no sound</p>
  </section>
  <section class="card" id="selftest">
    <h2>Does the centre hear this hall?</h2>
    <p id="selftest-result">Not tested yet.</p>
    <button id="selftest-run" type="button">Run the self-test</button>
  </section>
  <section class="card" id="tests">
    <h2>Test the hall</h2>
    <button id="led-test" type="button">Light every LED</button>
    <button id="display-input" type="button">TV to this box</button>
    <div id="relays"></div>
    <p id="tests-outcome" class="outcome" role="status"></p>
  </section>
  <section class="card" id="tv">
    <h2>On the TV</h2>
    <img id="tv-img" alt="what the TV is given">
    <button id="tv-look" type="button">Look again</button>
  </section>
  <section class="card" id="done">
    <h2>Done</h2>
    <label for="done-name">Your name</label>
    <input id="done-name" maxlength="100" autocomplete="name">
    <label for="done-notes">Notes (optional)</label>
    <textarea id="done-notes" maxlength="1000" rows="2"></textarea>
    <button id="done-send" type="button">Send the report to the carrier</button>
    <p id="done-outcome" class="outcome" role="status"></p>
  </section>
  <footer><span id="closes"></span> <button id="logout" type="button" class="link">Log out</button></footer>
</main>
</body>
</html>
`;

export const PAGE_CSS = `*{box-sizing:border-box}
body{margin:0;font:16px/1.4 system-ui,sans-serif;background:#eef1f4;color:#1b2430}
header{display:flex;align-items:center;justify-content:space-between;padding:12px 16px;background:#1b3a5c;color:#fff}
h1{font-size:20px;margin:0}h2{font-size:17px;margin:0 0 8px}
.card{background:#fff;margin:10px;padding:12px 14px;border-radius:10px;box-shadow:0 1px 2px #0002}
label{display:block;font-size:14px;margin:8px 0 2px;color:#445}
input,textarea{width:100%;font:inherit;padding:9px;border:1px solid #99a;border-radius:6px}
button{font:inherit;margin:8px 6px 0 0;padding:9px 14px;border:0;border-radius:6px;background:#1f6feb;color:#fff}
button:disabled{background:#8aa}
button.link{background:none;color:#1f6feb;padding:0;margin:0}
dl{display:grid;grid-template-columns:6.5em 1fr;gap:3px 8px;margin:0}dt{color:#556}dd{margin:0;overflow-wrap:anywhere}
.outcome{margin:8px 0 0;min-height:1.2em}.outcome.bad,.bad{color:#b3261e}.good{color:#146c2e}
.pill{font-size:13px;padding:3px 9px;border-radius:12px;background:#ffffff30}
ul{list-style:none;padding:0;margin:0}li{padding:3px 0}
.dot{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:6px;background:#aaa}
.dot.ok{background:#1f9d55}.dot.missing,.dot.error,.dot.not.answering{background:#d93025}.dot.starting{background:#f0a500}
img{display:block;width:100%;aspect-ratio:16/9;background:#223;border-radius:6px}
.meter{height:18px;background:#dde;border-radius:9px;overflow:hidden}
#meter-bar{height:100%;width:0;background:linear-gradient(90deg,#1f9d55,#f0a500 75%,#d93025);transition:width .2s}
footer{display:flex;justify-content:space-between;padding:8px 16px 24px;color:#556;font-size:14px}
`;

export const PAGE_JS = `'use strict';
const $ = (id) => document.getElementById(id);
let csrf = null;
let timers = [];

async function api(path, body) {
  const opts = body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf || '' }, body: JSON.stringify(body) };
  const r = await fetch(path, opts);
  const v = await r.json().catch(() => ({}));
  if (r.status === 401 && path !== '/api/login') showLogin('');
  if (!r.ok) throw new Error((v.error && v.error.message) || r.statusText);
  return v;
}

function say(id, text, good) {
  const el = $(id);
  el.textContent = text;
  el.className = 'outcome ' + (good === undefined ? '' : good ? 'good' : 'bad');
}

function showLogin(msg) {
  timers.forEach(clearInterval);
  timers = [];
  $('main').hidden = true;
  $('login').hidden = false;
  say('login-outcome', msg, false);
}

function started() {
  $('login').hidden = true;
  $('main').hidden = false;
  refresh();
  takePicture();
  lookAtTv();
  timers.push(setInterval(refresh, 2000), setInterval(meter, 250));
}

const yesNo = (v) => (v === null || v === undefined ? 'cannot tell' : v ? 'yes' : 'no');

async function refresh() {
  const s = await api('/api/status').catch(() => null);
  if (!s) return;
  $('serial').textContent = s.box.serial || '—';
  $('box-id').textContent = s.box.id;
  $('hall').textContent = s.box.hall;
  $('claim-sentence').textContent = s.claim.sentence;
  $('claim-pill').textContent = s.claim.claimed ? 'claimed' : 'not claimed';
  $('claim').hidden = s.claim.claimed;
  $('net-address').textContent = s.network.address + ' (' + s.network.interface + ')';
  $('net-gateway').textContent = s.network.gateway || 'none';
  $('net-dns').textContent = s.network.dns.join(', ') || 'none';
  $('net-broker').textContent = s.network.broker + ': ' + (s.network.brokerReachable ? 'reachable' : 'NOT reachable') + (s.network.connected ? ', connected' : '');
  $('net-broker').className = s.network.brokerReachable ? 'good' : 'bad';
  $('net-clock').textContent = 'in sync: ' + yesNo(s.network.clockSynced);
  const ul = $('devices');
  ul.replaceChildren(...s.devices.map((d) => {
    const li = document.createElement('li');
    const dot = document.createElement('span');
    dot.className = 'dot ' + d.status;
    li.append(dot, d.id + ': ' + d.status + (d.message ? ' (' + d.message + ')' : ''));
    return li;
  }));
  if (s.selftest) showSelftest(s.selftest);
  const relays = $('relays');
  if (relays.childElementCount !== s.relays.length * 2) {
    relays.replaceChildren(...s.relays.flatMap((r) => [true, false].map((on) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = r.name + (on ? ' on' : ' off');
      b.onclick = () => act('/api/relay', { name: r.name, on: on }, r.name + ' ' + (on ? 'on' : 'off'));
      return b;
    })));
  }
  $('closes').textContent = s.page.closesAt ? 'This page closes at ' + new Date(s.page.closesAt).toLocaleTimeString() : 'Open until the box is claimed';
}

function showSelftest(r) {
  const el = $('selftest-result');
  el.textContent = 'The centre hears this hall: ' + (r.received ? 'yes' : 'no') + ', loss ' + r.lossPct + ' %, RTT ' + (r.rttMs === null ? '?' : r.rttMs + ' ms');
  el.className = r.received ? 'good' : 'bad';
}

async function meter() {
  const m = await api('/api/level').catch(() => null);
  if (!m) return;
  const db = m.rmsDbfs;
  $('meter-bar').style.width = db === null ? '0%' : Math.max(0, Math.min(100, ((db + 60) / 60) * 100)).toFixed(1) + '%';
  $('meter-db').textContent = db === null ? 'no sound' : db.toFixed(1) + ' dBFS';
  $('meter-db').dataset.db = db === null ? '' : String(db);
}

function takePicture() {
  say('camera-outcome', 'Taking a picture…');
  const img = $('camera-img');
  img.onload = () => say('camera-outcome', 'Taken at ' + new Date().toLocaleTimeString(), true);
  img.onerror = () => say('camera-outcome', 'No picture (see the camera above).', false);
  img.src = '/api/camera.jpg?t=' + Date.now();
}

function lookAtTv() {
  $('tv-img').src = '/api/tv.jpg?t=' + Date.now();
}

async function act(path, body, what) {
  say('tests-outcome', what + '…');
  try {
    await api(path, body);
    say('tests-outcome', what + ': done', true);
  } catch (e) {
    say('tests-outcome', what + ': ' + e.message, false);
  }
}

document.addEventListener('DOMContentLoaded', async () => {
  $('login').onsubmit = async (ev) => {
    ev.preventDefault();
    try {
      const r = await api('/api/login', { password: $('password').value });
      csrf = r.csrf;
      $('password').value = '';
      started();
    } catch (e) {
      say('login-outcome', e.message, false);
    }
  };
  $('claim').onsubmit = async (ev) => {
    ev.preventDefault();
    say('claim-outcome', 'Asking the carrier…');
    try {
      const r = await api('/api/claim', { code: $('claim-code').value });
      say('claim-outcome', r.sentence, r.claimed);
      refresh();
    } catch (e) {
      say('claim-outcome', e.message, false);
    }
  };
  $('camera-take').onclick = takePicture;
  $('tv-look').onclick = lookAtTv;
  $('led-test').onclick = () => act('/api/led-test', {}, 'LEDs');
  $('display-input').onclick = () => act('/api/display-input', {}, 'TV input');
  $('selftest-run').onclick = async () => {
    $('selftest-run').disabled = true;
    $('selftest-result').textContent = 'Sending a tone to the centre…';
    $('selftest-result').className = '';
    try {
      showSelftest(await api('/api/selftest', {}));
    } catch (e) {
      $('selftest-result').textContent = e.message;
      $('selftest-result').className = 'bad';
    }
    $('selftest-run').disabled = false;
  };
  $('done-send').onclick = async () => {
    say('done-outcome', 'Sending…');
    try {
      const r = await api('/api/done', { name: $('done-name').value, notes: $('done-notes').value });
      say('done-outcome', r.sentence, true);
    } catch (e) {
      say('done-outcome', e.message, false);
    }
  };
  $('logout').onclick = async () => {
    await api('/api/logout', {}).catch(() => {});
    showLogin('Logged out.');
  };
  const s = await fetch('/api/session').then((r) => (r.ok ? r.json() : null)).catch(() => null);
  if (s && s.csrf) {
    csrf = s.csrf;
    started();
  }
});
`;
