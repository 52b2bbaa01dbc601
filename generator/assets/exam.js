/* examsite: the exam page runtime. One lifecycle, read top to bottom:
 *
 *   loading -> (identify) -> ready -> starting -> running <-> paused -> submitting -> submitted
 *   any step before "running" may end in "error", with a retry.
 *
 * It reads the build's JSON (#examsite-data, docs/page-contract.md), talks to proctoring only via
 * window.ExamsiteSdk (sdk-v8.js), and never loses an answer: answers live in localStorage from
 * the first keystroke, and submissions sit in a localStorage outbox until the endpoint accepts.
 * Seeds: 000_bf40de664df2fafb.txt (the v8 SDK), 001_fe4103a87a207551.txt (the 90-minute rule).
 */
(function () {
  'use strict';

  var data = JSON.parse(document.getElementById('examsite-data').textContent);
  var sdk = window.ExamsiteSdk;
  var exam = data.exam;
  var part = data.part;
  var pv = data.proview || {};
  var query = new URLSearchParams(location.search);
  var multiPart = exam.part_count > 1;
  var workflow = exam.workflow_identifier || exam.id;
  // Seed 001: no session may run 90 minutes; refresh before that (default at 85).
  var refreshAfterMs = (pv.refresh_after_seconds || 5100) * 1000;
  var WARN_AT = [600, 300, 60]; // seconds left at which the candidate is warned

  var $ = function (id) { return document.getElementById(id); };
  var ui = {
    status: $('exam-status'), intro: $('exam-intro'), identify: $('identify-form'),
    attendeeInput: $('attendee-id'), start: $('start-exam'), questions: $('exam-questions'),
    actions: $('exam-actions'), submit: $('submit-exam'), timer: $('exam-timer'), saved: $('exam-saved'),
  };

  // ---------------------------------------------------------------- small helpers

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text != null) e.textContent = text;
    return e;
  }
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  function uuid4() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }
  // Storage may be unavailable (privacy modes) or full: what this page wrote is also kept in
  // memory, and memory wins, so a failed write never hides an answer or a submission.
  var memory = {};
  function load(store, key) {
    if (store + key in memory) return memory[store + key];
    try { return JSON.parse(window[store].getItem(key)); } catch (e) { return null; }
  }
  function store(storeName, key, value) {
    memory[storeName + key] = value;
    try {
      if (value === null) window[storeName].removeItem(key);
      else window[storeName].setItem(key, JSON.stringify(value));
      return true;
    } catch (e) { return false; }
  }

  // ---------------------------------------------------------------- state and messages

  var current = null;
  function setState(s) {
    if (s === current) return;
    var from = current;
    current = s;
    document.documentElement.dataset.examState = s;
    document.dispatchEvent(new CustomEvent('examsite:statechange', { detail: { state: s, from: from } }));
  }

  // One status area: progress, warnings and errors, each with optional action buttons.
  function showStatus(text, kind, actions) {
    ui.status.textContent = '';
    ui.status.className = 'status-' + (kind || 'info');
    var box = el('div', kind === 'error' ? { role: 'alert' } : {});
    box.appendChild(el('p', { class: 'status-message' }, text));
    (actions || []).forEach(function (a) {
      var b = el(a.href ? 'a' : 'button', a.href ? { href: a.href } : { type: 'button' }, a.label);
      if (a.id) b.id = a.id;
      if (a.onClick) b.addEventListener('click', a.onClick);
      box.appendChild(b);
    });
    ui.status.appendChild(box);
  }

  function fail(message, retry) {
    setState('error');
    ui.start.disabled = true;
    showStatus(message, 'error', retry ? [{ label: 'Try again', id: 'retry', onClick: retry }] : []);
  }

  // ---------------------------------------------------------------- identity and the local record

  var ID_KEY = 'examsite:attendee:' + exam.id;
  var RESUME_KEY = 'examsite:resume:' + exam.id + ':' + part.index;
  var attendee = query.get('attendee') || load('sessionStorage', ID_KEY);
  var rec = null; // this candidate's record for this part, mirrored to localStorage
  var recKey = null;

  async function openRecord() {
    recKey = 'examsite:v1:' + exam.id + ':' + part.index + ':' + attendee;
    var found = load('localStorage', recKey);
    var limit = found ? { seconds: found.time_limit, percent: found.extra_time_percent } : await timeLimit();
    rec = found || {
      answers: {}, order: null, started_at: null, remaining: limit.seconds, time_limit: limit.seconds,
      extra_time_percent: limit.percent, session_started_at: null, refresh: 0, session_identifier: null,
      session_uuid: null, warned: [], submitted: null,
    };
    if (limit.percent) {
      var shown = $('exam-time-limit');
      if (shown) shown.textContent = Math.round(limit.seconds / 60) + ' minutes (with ' + limit.percent + '% extra time)';
    }
  }

  // Extra time (contract: accommodations). The page holds only salted SHA-256 hashes of who gets
  // it; crypto.subtle needs a secure context, which proctoring (camera access) needs anyway.
  async function timeLimit() {
    var base = part.time_limit_seconds, groups = (data.accommodations && data.accommodations.extra_time) || [];
    if (!groups.length) return { seconds: base, percent: 0 };
    try {
      var digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(data.accommodations.salt + ':' + attendee));
      var hex = Array.prototype.map.call(new Uint8Array(digest), function (b) { return (b + 256).toString(16).slice(1); }).join('');
      var percent = 0;
      groups.forEach(function (g) { if (g.attendees.indexOf(hex) !== -1) percent = Math.max(percent, g.percent); });
      return { seconds: Math.round(base * (1 + percent / 100)), percent: percent };
    } catch (e) {
      showStatus('Extra time could not be checked on this connection; tell your exam organiser.', 'warning');
      return { seconds: base, percent: 0 };
    }
  }
  function save() {
    var ok = store('localStorage', recKey, rec);
    if (ui.saved && current !== 'submitted') {
      ui.saved.hidden = false;
      ui.saved.textContent = ok ? 'All answers saved on this device' : 'Warning: this browser cannot save your answers';
      ui.saved.className = ok ? '' : 'save-failed';
    }
  }

  // Single-part exams without ?session leave the identifier to the SDK; otherwise one per part
  // and per guard refresh, so no two sessions share one.
  function sessionIdentifier() {
    var given = query.get('session');
    if (!multiPart && !rec.refresh) return given || undefined;
    var id = given || workflow + '.' + attendee;
    if (multiPart) id += '.p' + part.index;
    if (rec.refresh) id += '.r' + rec.refresh;
    return id;
  }

  // ---------------------------------------------------------------- deterministic draws and shuffles

  // Seeded from attendee, exam and a name (contract), so a reload shows the same exam.
  function rng(name) {
    var s = attendee + '|' + exam.id + '|' + name;
    var h = 2166136261;
    for (var i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
    return function () { // mulberry32
      h = (h + 0x6d2b79f5) | 0;
      var t = Math.imul(h ^ (h >>> 15), 1 | h);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  function shuffled(list, name) {
    var a = list.slice(), r = rng(name);
    for (var i = a.length - 1; i > 0; i--) {
      var j = Math.floor(r() * (i + 1)), t = a[i]; a[i] = a[j]; a[j] = t;
    }
    return a;
  }

  var byId = {};
  data.items.forEach(function (item) {
    (item.kind === 'pool' ? item.questions : [item.question]).forEach(function (q) { byId[q.id] = q; });
  });

  function drawOrder() {
    var qs = [];
    data.items.forEach(function (item) {
      if (item.kind === 'pool') qs = qs.concat(shuffled(item.questions, item.pool).slice(0, item.draw));
      else qs.push(item.question);
    });
    if (data.shuffle && data.shuffle.questions) qs = shuffled(qs, 'questions');
    var choices = {};
    qs.forEach(function (q) {
      if (!q.choices) return;
      var ids = q.choices.map(function (c) { return c.id; });
      var shuffle = q.shuffle_choices != null ? q.shuffle_choices : !!(data.shuffle && data.shuffle.choices);
      choices[q.id] = shuffle ? shuffled(ids, q.id) : ids;
    });
    return { questions: qs.map(function (q) { return q.id; }), choices: choices };
  }

  // ---------------------------------------------------------------- questions

  var controls = {}; // question id -> {q, fieldset, inputs}

  function renderQuestions() {
    ui.questions.textContent = '';
    rec.order.questions.forEach(function (qid, n) {
      var q = byId[qid];
      var base = 'q-' + n;
      var fs = el('fieldset', { class: 'question', 'data-question-id': q.id, 'data-type': q.type, 'aria-describedby': base + '-prompt' });
      var legend = el('legend');
      legend.appendChild(el('span', { class: 'q-number' }, 'Question ' + (n + 1)));
      if (q.points != null) legend.appendChild(el('span', { class: 'q-points' }, q.points + (q.points === 1 ? ' point' : ' points')));
      fs.appendChild(legend);
      var prompt = el('div', { class: 'prompt', id: base + '-prompt' });
      prompt.innerHTML = q.prompt_html; // sanitised by the build
      fs.appendChild(prompt);
      var inputs = [];
      function option(type, value, id, html, text) {
        var label = el('label', { class: 'choice', for: id });
        var input = el('input', { type: type, name: base, id: id, value: value });
        label.appendChild(input);
        var span = el('span', { class: 'choice-text' }, text);
        if (html != null) span.innerHTML = html;
        label.appendChild(span);
        fs.appendChild(label);
        inputs.push(input);
      }
      if (q.type === 'single' || q.type === 'multiple') {
        var html = {};
        q.choices.forEach(function (c) { html[c.id] = c.html; });
        rec.order.choices[q.id].forEach(function (cid, i) {
          option(q.type === 'single' ? 'radio' : 'checkbox', cid, base + '-' + i, html[cid]);
        });
      } else if (q.type === 'true_false') {
        option('radio', 'true', base + '-t', null, 'True');
        option('radio', 'false', base + '-f', null, 'False');
      } else {
        fs.appendChild(el('label', { for: base + '-a', class: 'answer-label' }, 'Your answer'));
        var input = q.type === 'long_text' ? el('textarea', { rows: '8' })
          : el('input', q.type === 'numeric' ? { type: 'text', inputmode: 'decimal' } : { type: 'text' });
        input.id = base + '-a';
        input.name = base;
        input.setAttribute('autocomplete', 'off');
        fs.appendChild(input);
        inputs.push(input);
      }
      controls[q.id] = { q: q, fieldset: fs, inputs: inputs };
      ui.questions.appendChild(fs);
      writeAnswer(q.id, rec.answers[q.id]);
    });
  }

  // undefined means unanswered: unanswered questions are absent from the payload.
  function readAnswer(qid) {
    var c = controls[qid], type = c.q.type;
    if (type === 'single' || type === 'true_false') {
      var picked = c.inputs.filter(function (i) { return i.checked; })[0];
      if (!picked) return undefined;
      return type === 'true_false' ? picked.value === 'true' : picked.value;
    }
    if (type === 'multiple') {
      // In the exam's own choice order, whatever order the candidate saw.
      var ids = c.q.choices.map(function (ch) { return ch.id; }).filter(function (id) {
        return c.inputs.some(function (i) { return i.checked && i.value === id; });
      });
      return ids.length ? ids : undefined;
    }
    var v = c.inputs[0].value;
    if (!v.trim()) return undefined;
    if (type === 'numeric') {
      var t = v.trim();
      if (t.indexOf('.') === -1) t = t.replace(',', '.'); // "1,5" in comma-decimal locales
      return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) ? Number(t) : v;
    }
    return v;
  }
  function writeAnswer(qid, value) {
    var c = controls[qid];
    if (value === undefined) return;
    if (c.q.type === 'multiple') c.inputs.forEach(function (i) { i.checked = value.indexOf(i.value) !== -1; });
    else if (c.q.type === 'single' || c.q.type === 'true_false') c.inputs.forEach(function (i) { i.checked = i.value === String(value); });
    else c.inputs[0].value = String(value);
  }
  function setInputsDisabled(disabled) {
    Object.keys(controls).forEach(function (id) { controls[id].fieldset.disabled = disabled; });
    ui.submit.disabled = disabled;
  }

  // Answers go to memory at once and to localStorage on every change, debounced while typing.
  var saveTimer = null;
  function onAnswer(e) {
    var fs = e.target.closest('fieldset[data-question-id]');
    if (!fs || !rec) return;
    var qid = fs.getAttribute('data-question-id');
    var v = readAnswer(qid);
    if (v === undefined) delete rec.answers[qid]; else rec.answers[qid] = v;
    clearTimeout(saveTimer);
    if (e.type === 'change') save();
    else {
      if (ui.saved) ui.saved.textContent = 'Saving…';
      saveTimer = setTimeout(save, 300);
    }
  }
  ui.questions.addEventListener('input', onAnswer);
  ui.questions.addEventListener('change', onAnswer);
  ui.questions.addEventListener('submit', function (e) { e.preventDefault(); }); // Enter in a text field
  function flush() { if (rec && rec.started_at && !rec.submitted) { clearTimeout(saveTimer); save(); } }
  window.addEventListener('pagehide', flush);
  document.addEventListener('visibilitychange', function () { if (document.hidden) flush(); });

  // ---------------------------------------------------------------- the timer and the 90-minute guard

  var ticker = null;
  var lastTick = null;
  // Counts only while running; uses wall-clock deltas, so a throttled background tab stays right.
  function account() {
    var now = Date.now();
    if (current === 'running' && lastTick !== null) {
      rec.remaining = Math.max(0, rec.remaining - Math.max(0, now - lastTick) / 1000);
    }
    lastTick = now;
  }
  function format(seconds) {
    var s = Math.ceil(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var mm = (h && m < 10 ? '0' : '') + m, ss = (r < 10 ? '0' : '') + r;
    return (h ? h + ':' : '') + mm + ':' + ss;
  }
  function renderTimer() {
    ui.timer.hidden = false;
    ui.timer.textContent = 'Time left ' + format(rec.remaining) + (current === 'paused' ? ' (paused)' : '');
    ui.timer.dataset.remaining = String(Math.ceil(rec.remaining));
    ui.timer.classList.toggle('timer-low', rec.remaining <= 300);
  }
  function tick() {
    account();
    if (current !== 'running' && current !== 'paused') return;
    renderTimer();
    store('localStorage', recKey, rec);
    // Pauses count towards the session's 90 minutes: the guard looks at wall-clock time. Offline,
    // it waits for the network: a reload without one would lose the page (not the answers).
    if (rec.session_started_at !== null && Date.now() - rec.session_started_at >= refreshAfterMs &&
        rec.remaining > 0 && navigator.onLine) {
      refreshSession();
      return;
    }
    if (current !== 'running') return;
    if (rec.remaining <= 0) { submitFinal('time_up'); return; }
    WARN_AT.forEach(function (t) {
      if (rec.remaining <= t && (rec.time_limit || part.time_limit_seconds) > t && rec.warned.indexOf(t) === -1) {
        rec.warned.push(t);
        showStatus((t >= 60 ? t / 60 + (t === 60 ? ' minute' : ' minutes') : t + ' seconds') + ' left.', 'warning');
      }
    });
  }

  // Seed 001: upload an interim submission, stop the session, refresh, start a new session.
  var refreshing = false;
  async function refreshSession() {
    if (refreshing) return;
    refreshing = true;
    account();
    setState('paused');
    setInputsDisabled(true);
    renderTimer();
    showStatus('Renewing the proctoring session. Your answers and remaining time are kept.', 'info');
    var entry = queueSubmission('interim', 'session_refresh');
    rec.refresh += 1;
    rec.session_started_at = null;
    save();
    // The outbox keeps retrying after the reload; do not hold the candidate for long here.
    await Promise.race([outbox.settled(entry.id), sleep(10000)]);
    try { await sdk.stop(); } catch (e) { /* the new session starts regardless */ }
    store('sessionStorage', RESUME_KEY, true);
    leaving = true;
    location.reload();
  }

  // ---------------------------------------------------------------- the outbox

  // Every submission is queued in localStorage first and removed only once the endpoint accepts
  // it; one worker delivers in order with backoff, on this visit and on any later one.
  var outbox = (function () {
    var KEY = 'examsite:outbox';
    var listeners = {}, attempts = {}, skipped = {};
    var working = false, wake = null;
    function list() { return load('localStorage', KEY) || []; }
    function notify(id, event, info) { (listeners[id] || []).slice().forEach(function (fn) { fn(event, info); }); }
    function on(id, fn) { (listeners[id] = listeners[id] || []).push(fn); }
    async function post(entry) {
      var abort = new AbortController();
      var timer = setTimeout(function () { abort.abort(); }, 20000); // a hung request is a failed one
      try {
        var r = await fetch(entry.url, {
          method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(entry.payload),
          signal: abort.signal,
        });
        if (r.ok || r.status === 409) return 'accepted'; // 409: already have this submission_id
        if (r.status >= 500 || r.status === 408 || r.status === 429) return 'retry';
        return 'rejected';
      } catch (e) {
        return 'retry'; // network error or timeout
      } finally {
        clearTimeout(timer);
      }
    }
    // Rounds: every pending entry is tried once per round, so one entry that keeps failing
    // (another exam's endpoint, say) never holds back the others; failed rounds back off.
    async function work() {
      if (working) return;
      working = true;
      try {
        for (var rounds = 0; ;) {
          // Only entries for this page's endpoint: its CSP allows no other.
          var entries = list().filter(function (e) { return !skipped[e.id] && e.url === data.submission.url; });
          if (!entries.length) break;
          var failed = [];
          for (var i = 0; i < entries.length; i++) {
            var entry = entries[i];
            var result = await post(entry);
            if (result === 'accepted') {
              store('localStorage', KEY, list().filter(function (e) { return e.id !== entry.id; }));
              delivered(entry);
              notify(entry.id, 'accepted');
            } else if (result === 'rejected') {
              skipped[entry.id] = true; // kept in the outbox for the next visit
              notify(entry.id, 'rejected');
            } else {
              attempts[entry.id] = (attempts[entry.id] || 0) + 1;
              failed.push(entry.id);
            }
          }
          if (!failed.length) { rounds = 0; continue; }
          rounds += 1;
          // 1 s, 2 s, 4 s ... capped at 60 s; jitter spreads a room of candidates out.
          var delay = Math.min(60000, 1000 * Math.pow(2, rounds - 1)) * (0.8 + Math.random() * 0.4);
          failed.forEach(function (id) { notify(id, 'failed', { attempt: attempts[id], delay: delay }); });
          await new Promise(function (r) { wake = r; setTimeout(r, delay); });
          wake = null;
        }
      } finally { working = false; }
    }
    return {
      add: function (entry) {
        var all = list().filter(function (e) { return e.id !== entry.id; });
        all.push(entry);
        return store('localStorage', KEY, all);
      },
      has: function (id) { return list().some(function (e) { return e.id === id; }); },
      kick: function () { if (wake) wake(); work(); },
      on: on,
      retry: function (id) { delete skipped[id]; this.kick(); },
      // Resolves when the entry is accepted or rejected (not on a retryable failure).
      settled: function (id) {
        return new Promise(function (resolve) { on(id, function (ev) { if (ev !== 'failed') resolve(ev); }); });
      },
    };
  })();

  // A final submission accepted on a later visit still marks its part as submitted.
  function delivered(entry) {
    if (entry.payload.kind !== 'final') return;
    var r = entry.recKey === recKey ? rec : load('localStorage', entry.recKey);
    if (!r) return;
    r.submitted = { submission_id: entry.id, at: new Date().toISOString() };
    r.pending_final = null;
    store('localStorage', entry.recKey, r);
  }

  function payload(kind, reason, id) {
    return {
      schema: 1, submission_id: id, kind: kind,
      exam_id: exam.id, part: part.index, part_count: exam.part_count,
      workflow_identifier: workflow, attendee_identifier: attendee,
      session_identifier: rec.session_identifier || null, proview_session_uuid: rec.session_uuid || null,
      answers: JSON.parse(JSON.stringify(rec.answers)), order: rec.order,
      started_at: rec.started_at, submitted_at: new Date().toISOString(),
      time_remaining_seconds: Math.max(0, Math.round(rec.remaining)), reason: reason,
    };
  }
  function queueSubmission(kind, reason) {
    var id = uuid4();
    var entry = { id: id, url: data.submission.url, recKey: recKey, payload: payload(kind, reason, id) };
    if (!outbox.add(entry)) showStatus('This browser cannot store your answers; keep this page open.', 'warning');
    if (kind === 'final') { rec.pending_final = entry; save(); }
    outbox.kick();
    return entry;
  }

  function download(entry) {
    var blob = new Blob([JSON.stringify(entry.payload, null, 2)], { type: 'application/json' });
    var a = el('a', { href: URL.createObjectURL(blob), download: 'answers-' + exam.id + '-part' + part.index + '-' + entry.id + '.json' });
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  // ---------------------------------------------------------------- submitting

  var session = false; // a Proview session is running in this page view

  function confirmSubmit() {
    var missing = rec.order.questions.map(function (qid, n) { return rec.answers[qid] === undefined ? n + 1 : 0; })
      .filter(Boolean);
    var dialog = el('dialog', { id: 'confirm-submit', 'aria-labelledby': 'confirm-title' });
    dialog.appendChild(el('h2', { id: 'confirm-title' }, 'Submit your answers?'));
    dialog.appendChild(el('p', {}, missing.length
      ? 'Unanswered: ' + missing.map(function (n) { return 'Question ' + n; }).join(', ') + '.'
      : 'You have answered every question.'));
    dialog.appendChild(el('p', {}, 'You cannot change your answers after submitting.'));
    var yes = el('button', { type: 'button', id: 'confirm-yes' }, 'Submit');
    var no = el('button', { type: 'button', id: 'confirm-no' }, 'Keep working');
    dialog.appendChild(yes);
    dialog.appendChild(no);
    document.body.appendChild(dialog);
    yes.addEventListener('click', function () { dialog.close(); dialog.remove(); submitFinal('submit'); });
    no.addEventListener('click', function () { dialog.close(); dialog.remove(); });
    dialog.addEventListener('cancel', function () { dialog.remove(); });
    dialog.showModal();
    no.focus();
  }
  ui.submit.addEventListener('click', function () { if (current === 'running') confirmSubmit(); });

  async function submitFinal(reason) {
    if (current === 'submitting' || current === 'submitted') return;
    var open = $('confirm-submit'); // time may run out while the candidate is confirming
    if (open) { open.close(); open.remove(); }
    account();
    flush();
    setState('submitting');
    setInputsDisabled(true);
    if (rec.remaining > 0 || reason !== 'time_up') renderTimer();
    var entry = rec.pending_final && outbox.has(rec.pending_final.id) ? rec.pending_final : queueSubmission('final', reason);
    await awaitDelivery(entry);
  }

  function awaitDelivery(entry) {
    showStatus(reasonText(entry) + 'Sending your answers…', 'info');
    return new Promise(function (resolve) {
      outbox.on(entry.id, async function (event, info) {
        if (event === 'failed') {
          var actions = info.attempt >= 3 ? [{ label: 'Download my answers', id: 'download-answers', onClick: function () { download(entry); } }] : [];
          showStatus('The server did not accept your answers yet (attempt ' + info.attempt + '). Retrying in ' +
            Math.ceil(info.delay / 1000) + ' s. Your answers are safe on this device; keep this page open.', 'warning', actions);
        } else if (event === 'rejected') {
          showStatus('The server refused your answers. Download them and give the file to your exam organiser; ' +
            'they are also kept on this device and sent again on your next visit.', 'error', [
            { label: 'Download my answers', id: 'download-answers', onClick: function () { download(entry); } },
            { label: 'Try again', id: 'retry', onClick: function () { outbox.retry(entry.id); } },
          ]);
        } else if (event === 'accepted') {
          if (session) {
            // complete(), not stop(): stop() means "without submitting" (seed 000).
            showStatus('Your answers are in. Closing the proctoring session…', 'info');
            try { await sdk.complete(); } catch (e) { /* answers are in; the SDK reports via onError */ }
            session = false;
          }
          confirmation();
          resolve();
        }
      });
      outbox.kick();
    });
  }
  function reasonText(entry) {
    return entry.payload.reason === 'time_up' ? 'Time is up. ' : '';
  }

  function confirmation() {
    setState('submitted');
    ui.start.hidden = true;
    ui.identify.hidden = true;
    ui.questions.hidden = true;
    ui.actions.hidden = true;
    ui.timer.hidden = true;
    ui.saved.hidden = true;
    var actions = [];
    if (part.next_url) {
      var next = new URL(part.next_url, location.href);
      next.search = location.search; // keeps ?attendee and ?session for the next part
      actions.push({ label: 'Continue to part ' + (part.index + 1), href: next.href, id: 'next-part' });
    }
    showStatus('Your answers have been submitted. Submission ID: ', 'success', actions);
    ui.status.querySelector('.status-message').appendChild(el('code', { id: 'submission-id' }, rec.submitted.submission_id));
  }

  // ---------------------------------------------------------------- the session

  async function startExam() {
    if (current !== 'ready' && current !== 'error') return;
    setState('starting');
    ui.start.disabled = true;
    showStatus('Starting the proctoring session…', 'info');
    // A session older than the guard's limit (a candidate back after a long break) is not reused.
    if (rec.session_started_at !== null && Date.now() - rec.session_started_at >= refreshAfterMs) {
      rec.refresh += 1;
      rec.session_started_at = null;
    }
    var ids = { attendee: attendee, workflow: workflow, session: sessionIdentifier() };
    var res;
    try {
      res = await sdk.start(ids);
    } catch (e) {
      fail('The proctoring session could not start: ' + e.message + '. Fix the problem, then try again.', startExam);
      return;
    }
    session = true;
    rec.session_uuid = res.uuid;
    rec.session_identifier = ids.session || res.session || null;
    if (rec.session_started_at === null) rec.session_started_at = Date.now();
    if (!rec.started_at) rec.started_at = new Date().toISOString();
    if (!rec.order) rec.order = drawOrder();
    save();
    // Only now, with the session running, do the questions enter the page (seed 000, step 3).
    renderQuestions();
    ui.start.hidden = true;
    ui.questions.hidden = false;
    ui.actions.hidden = false;
    lastTick = Date.now();
    setState('running');
    showStatus('The exam is running. Your answers are saved as you go.', 'info');
    renderTimer();
    ticker = ticker || setInterval(tick, 1000);
    if (!navigator.onLine) pause('network');
  }
  ui.start.addEventListener('click', startExam);

  var pausedFor = null;
  async function pause(why) {
    if (current !== 'running') return;
    account();
    pausedFor = why;
    setState('paused');
    setInputsDisabled(true);
    renderTimer();
    store('localStorage', recKey, rec);
    showStatus('You are offline. The exam and its timer are paused; your answers are safe on this device.', 'warning');
    try { await sdk.pause('Network disconnected'); } catch (e) { /* offline: the SDK reports via onError */ }
  }
  async function resume() {
    if (current !== 'paused' || pausedFor !== 'network' || refreshing) return;
    pausedFor = null;
    // An SDK that cannot resume (the legacy embed) gets a new session, as the 90-minute guard does.
    if (sdk.resumable === false) { refreshSession(); return; }
    try { await sdk.resume('Network reconnected'); } catch (e) { /* reported via onError */ }
    lastTick = Date.now();
    setState('running');
    setInputsDisabled(false);
    renderTimer();
    showStatus('Back online. The exam continues.', 'info');
  }
  window.addEventListener('offline', function () { pause('network'); });
  // The SDK saw the connection drop (legacy: networkDisconnectionCallback), perhaps while the browser
  // still thinks it is online, so no 'online' event may follow: the candidate continues by hand.
  function networkLost() {
    if (current !== 'running') return;
    pause('network');
    showStatus('The proctoring service lost its internet connection. The exam and its timer are paused; ' +
      'your answers are safe on this device. Continue once your connection is back.', 'warning',
      [{ label: 'Continue the exam', id: 'resume-exam', onClick: function () { if (navigator.onLine) resume(); } }]);
  }
  window.addEventListener('online', function () { outbox.kick(); resume(); });

  function onSdkError(e) {
    var text = 'Proctoring: ' + e.message + (e.code ? ' (' + e.code + ')' : '');
    if (current === 'running' || current === 'paused' || current === 'submitting') {
      // Shown, never destructive: the questions and answers stay as they are.
      showStatus(text + '. Your answers are safe; carry on unless your exam organiser says otherwise.', 'error',
        [{ label: 'Dismiss', id: 'dismiss', onClick: function () { ui.status.textContent = ''; } }]);
    } else if (current !== 'error') {
      showStatus(text, 'error');
    }
  }

  var leaving = false;
  window.addEventListener('beforeunload', function (e) {
    var busy = current === 'running' || current === 'paused' || current === 'starting' || current === 'submitting';
    if (busy && !leaving) { e.preventDefault(); e.returnValue = ''; }
  });

  // ---------------------------------------------------------------- loading the SDK

  var sdkReady = false, initDone = false, initBusy = false, loaderFailed = false, loaderTimer = null;

  function armLoaderTimeout() {
    clearTimeout(loaderTimer);
    loaderTimer = setTimeout(function () { if (!sdkReady) loaderFailure(); }, (pv.loader_timeout_seconds || 30) * 1000);
  }
  // Resource errors do not bubble, but a capturing listener on window sees the loader's.
  window.addEventListener('error', function (e) {
    if (e.target && e.target.id === 'proview-loader') loaderFailure();
  }, true);

  function loaderFailure() {
    loaderFailed = true;
    clearTimeout(loaderTimer);
    if (current === 'identify' || (rec && rec.submitted)) return; // told after the ID is given
    fail('The proctoring service could not be loaded. Check your internet connection, then try again.', reloadLoader);
  }
  function reloadLoader() {
    var old = $('proview-loader');
    var s = el('script', { id: 'proview-loader', src: old.src, async: '', crossorigin: 'anonymous' });
    old.remove();
    loaderFailed = false;
    setState('loading');
    showStatus('Preparing the exam…', 'info');
    armLoaderTimeout();
    document.body.appendChild(s);
  }

  function sdkLoaded() {
    if (sdkReady || !sdk.loaded()) return;
    sdkReady = true;
    loaderFailed = false;
    clearTimeout(loaderTimer);
    sdk.onError(onSdkError); // first, before init (seed 000)
    sdk.onNetworkLost(networkLost);
    if (attendee) initSdk();
  }

  async function initSdk() {
    if (!sdkReady || !rec || initDone || initBusy || rec.submitted) return; // identified() calls again
    initBusy = true;
    setState('loading');
    showStatus('Connecting to the proctoring service…', 'info');
    try {
      await sdk.init(pv, { attendee: attendee, workflow: workflow, session: sessionIdentifier() });
      sdk.limitLanguages(pv.languages);
      initDone = true;
    } catch (e) {
      fail('The proctoring service could not be started: ' + e.message + '.', initSdk);
      return;
    } finally { initBusy = false; }
    ready();
  }

  function ready() {
    setState('ready');
    ui.start.disabled = false;
    ui.start.textContent = rec.started_at ? 'Resume exam' : 'Start exam';
    showStatus('Read the instructions, then start when you are ready.', 'info');
    // After a guard refresh the candidate continues without another click.
    if (load('sessionStorage', RESUME_KEY)) {
      store('sessionStorage', RESUME_KEY, null);
      startExam();
    }
  }

  // ---------------------------------------------------------------- boot

  async function identified() {
    await openRecord();
    if (rec.submitted) { confirmation(); return; }
    if (rec.pending_final && outbox.has(rec.pending_final.id)) {
      // Submitted on an earlier visit but not yet delivered: finish that, nothing else.
      setState('submitting');
      awaitDelivery(rec.pending_final);
      return;
    }
    if (loaderFailed) { loaderFailure(); return; }
    setState('loading');
    if (sdkReady) initSdk();
    else showStatus('Preparing the exam…', 'info');
  }

  ui.identify.addEventListener('submit', function (e) {
    e.preventDefault();
    var value = ui.attendeeInput.value.trim();
    if (!value) { ui.attendeeInput.focus(); return; }
    attendee = value;
    store('sessionStorage', ID_KEY, value); // a reload in this tab keeps it
    ui.identify.hidden = true;
    identified();
  });

  window.Examsite = { sdkLoaded: sdkLoaded };
  // The template's inline hook calls Examsite.sdkLoaded; this covers a CSP that blocks inline code.
  if (sdk.name === 'v8' && typeof window.proviewOnLoad !== 'function') window.proviewOnLoad = sdkLoaded;

  setState('loading');
  armLoaderTimeout();
  outbox.kick(); // deliver anything left from an earlier visit
  if (attendee) identified();
  else {
    setState('identify');
    ui.identify.hidden = false;
    showStatus('Enter your candidate ID to begin.', 'info');
    ui.attendeeInput.focus();
  }
  if (sdk.loaded()) sdkLoaded();
})();
