/* examsite: the exam page runtime. One lifecycle, read top to bottom:
 *
 *   loading -> (identify) -> ready -> starting -> running <-> paused -> submitting -> submitted
 *   any step before "running" may end in "error", with a retry.
 *
 * It reads the build's JSON (#examsite-data, docs/page-contract.md) and the interface's texts
 * (window.ExamsiteMessages, set by the language's messages.<lang>.<hash>.js), talks to proctoring
 * only via window.ExamsiteSdk (sdk-v8.js), and never loses an answer: answers live in localStorage
 * from the first keystroke, and submissions sit in a localStorage outbox until the endpoint accepts.
 * Seeds: 000_bf40de664df2fafb.txt (the v8 SDK), 001_fe4103a87a207551.txt (the 90-minute rule).
 */
(function () {
  'use strict';

  // Without its SDK adapter or the exam language's texts (a file that did not load) the runtime
  // does not start: the page says so (page.html), rather than show message keys or break later.
  if (!window.ExamsiteSdk || !window.ExamsiteMessages) return;
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

  // Every text the candidate sees comes from the exam language's catalogue (contract: messages),
  // which the page loads before this file (assets/messages.<lang>.<hash>.js sets
  // window.ExamsiteMessages). The build fills in every key (English where a translation is
  // missing): never an empty button, nor a key.
  var messages = window.ExamsiteMessages;
  var pluralRules = new Intl.PluralRules(exam.lang || 'en');
  function t(key, params) {
    var text = messages[key] != null ? messages[key] : key;
    return text.replace(/\{(\w+)\}/g, function (m, name) {
      return params && params[name] != null ? String(params[name]) : m;
    });
  }
  // Plural forms by the language's own rules (Arabic has six): key_one, key_few, ..., key_other.
  function tn(key, n, params) {
    var form = key + '_' + pluralRules.select(n);
    return t(messages[form] != null ? form : key + '_other', Object.assign({ n: n }, params));
  }

  // What the SDK said went wrong, in its words (or that it gave no reason, in the exam's
  // language), with its code for whoever supports the candidate.
  function reason(e) {
    var said = (e && typeof e.message === 'string' && e.message) || t('no_reason');
    return said + (e && e.code ? ' (' + e.code + ')' : '');
  }

  var $ = function (id) { return document.getElementById(id); };
  var ui = {
    status: $('exam-status'), intro: $('exam-intro'), identify: $('identify-form'),
    attendeeInput: $('attendee-id'), start: $('start-exam'), questions: $('exam-questions'),
    actions: $('exam-actions'), submit: $('submit-exam'), timer: $('exam-timer'), saved: $('exam-saved'),
    timerToggle: $('timer-toggle'), announcer: $('exam-announcer'), warning: $('exam-warning'),
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

  // The one polite live region (#exam-announcer): state changes and the timer's thresholds, never
  // the ticking timer. The same words twice differ by a trailing no-break space, so both are heard.
  function announce(text) {
    if (!ui.announcer) return; // a custom template without it: the status area still shows everything
    ui.announcer.textContent = ui.announcer.textContent === text ? text + '\u00a0' : text;
  }

  // Where focus goes when something needs the candidate: the message (errors, pauses, the
  // confirmation), so screen readers read it and the next Tab reaches its buttons.
  function focusStatus() {
    if (ui.status.textContent) ui.status.focus();
  }

  // One status area: progress, warnings and errors, each with optional action buttons. Errors
  // carry role=alert (announced at once); everything else is announced politely.
  function showStatus(text, kind, actions) {
    if (kind !== 'error') announce(text);
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
    showStatus(message, 'error', retry ? [{ label: t('try_again'), id: 'retry', onClick: function () {
      focusStart = true; // the button is about to go: focus Start once it can be used
      retry();
    } }] : []);
    focusStatus();
  }

  // ---------------------------------------------------------------- identity and the local record

  var ID_KEY = 'examsite:attendee:' + exam.id;
  var RESUME_KEY = 'examsite:resume:' + exam.id + ':' + part.index;
  // Signed launch links (contract): the attendee id comes from the link, with its token, or the
  // page does not start; the token goes in every payload for the collection service to check.
  var signedLinks = !!data.submission.require_signed_links;
  var token = query.get('token');
  var attendee = query.get('attendee') || (signedLinks ? null : load('sessionStorage', ID_KEY));
  var linkRefused = signedLinks && !(token && attendee);
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
    // A record from before flags existed has none.
    rec.flags = rec.flags || {};
    if (limit.percent) {
      var shown = $('exam-time-limit');
      if (shown) shown.textContent = t('time_limit_extra', { time: tn('minutes', Math.round(limit.seconds / 60)), percent: limit.percent });
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
      showStatus(t('extra_time_unchecked'), 'warning');
      return { seconds: base, percent: 0 };
    }
  }
  var savedOk = null; // announced when it changes (the first save, a failure, a recovery), not per keystroke
  function save() {
    var ok = store('localStorage', recKey, rec);
    if (ui.saved && current !== 'submitted') {
      ui.saved.hidden = false;
      ui.saved.textContent = ok ? t('saved') : t('save_failed');
      ui.saved.className = ok ? '' : 'save-failed';
      if (ok !== savedOk) { savedOk = ok; announce(ui.saved.textContent); }
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

  // The text of an element with each <math> replaced by its TeX annotation (the build keeps it).
  function spoken(node) {
    var copy = node.cloneNode(true);
    copy.querySelectorAll('math').forEach(function (m) {
      var tex = m.querySelector('annotation[encoding="application/x-tex"]');
      m.replaceWith(document.createTextNode(' ' + (tex ? tex.textContent : m.textContent) + ' '));
    });
    return copy.textContent.replace(/\s+/g, ' ').trim();
  }

  // ---------------------------------------------------------------- question types

  // One entry per question type (contract: QUESTION), the only place the runtime tells types apart:
  //   render(q, fs, base)  adds the type's inputs to the fieldset and returns them
  //   read(inputs, q)      the answer as the payload carries it, undefined when unanswered
  //   write(inputs, value) shows a saved answer again
  // A type missing here is an error before the exam starts (ready), never a silent fall-through.
  function option(fs, type, name, id, value, html, text) {
    var label = el('label', { class: 'choice', for: id });
    var input = el('input', { type: type, name: name, id: id, value: value });
    label.appendChild(input);
    var span = el('span', { class: 'choice-text' }, text);
    if (html != null) span.innerHTML = html; // sanitised by the build
    // Browsers leave MathML out of a label's accessible name, so a choice that is a formula
    // would be a nameless radio button: name it with its text, each formula as its TeX source.
    if (span.querySelector('math')) input.setAttribute('aria-label', spoken(span));
    label.appendChild(span);
    fs.appendChild(label);
    return input;
  }
  function choices(type) {
    return function (q, fs, base) {
      var html = {};
      q.choices.forEach(function (c) { html[c.id] = c.html; });
      return rec.order.choices[q.id].map(function (cid, i) { return option(fs, type, base, base + '-' + i, cid, html[cid]); });
    };
  }
  function answerBox(attrs) {
    return function (q, fs, base) {
      fs.appendChild(el('label', { for: base + '-a', class: 'answer-label' }, t('your_answer')));
      var input = el(attrs.rows ? 'textarea' : 'input', Object.assign({ id: base + '-a', name: base, autocomplete: 'off' }, attrs));
      fs.appendChild(input);
      return [input];
    };
  }
  function picked(inputs) { return inputs.filter(function (i) { return i.checked; }).map(function (i) { return i.value; }); }
  function pick(inputs, values) { inputs.forEach(function (i) { i.checked = values.indexOf(i.value) !== -1; }); }
  function pickOne(inputs, value) { pick(inputs, [String(value)]); }
  function typed(inputs) { var v = inputs[0].value; return v.trim() ? v : undefined; }
  function fill(inputs, value) { inputs[0].value = String(value); }

  // Move up / Move down (button value -1 / 1) of an ordering item; focus stays on the button, and
  // the item's place is said (also when it cannot go further), since nothing else tells a screen
  // reader that the list changed.
  function move(e) {
    var b = e.target, li = b.parentNode, list = li.parentNode;
    if (!b.value) return;
    var to = b.value > 0 ? li.nextElementSibling : li.previousElementSibling;
    if (to) {
      list.insertBefore(li, b.value > 0 ? to.nextElementSibling : to);
      list.dataset.moved = 1;
      b.focus();
      list.dispatchEvent(new Event('change', { bubbles: true }));
    }
    announce(t('moved', { n: [].indexOf.call(list.children, li) + 1, count: list.children.length }));
  }
  // The build's HTML in a new element; `html` is sanitised by the build.
  function box(tag, attrs, html) { var e = el(tag, attrs); e.innerHTML = html; return e; }

  var TYPES = {
    single: { render: choices('radio'), read: function (inputs) { return picked(inputs)[0]; }, write: pickOne },
    multiple: {
      // Says that several may be right; the fieldset's description includes it.
      render: function (q, fs, base) {
        var hint = el('p', { class: 'hint', id: base + '-hint' }, t('select_all'));
        fs.appendChild(hint);
        fs.setAttribute('aria-describedby', base + '-prompt ' + hint.id);
        return choices('checkbox')(q, fs, base);
      },
      // In the exam's own choice order, whatever order the candidate saw.
      read: function (inputs, q) {
        var on = picked(inputs);
        var ids = q.choices.map(function (c) { return c.id; }).filter(function (id) { return on.indexOf(id) !== -1; });
        return ids.length ? ids : undefined;
      },
      write: pick,
    },
    true_false: {
      render: function (q, fs, base) {
        return [option(fs, 'radio', base, base + '-t', 'true', null, t('true')),
          option(fs, 'radio', base, base + '-f', 'false', null, t('false'))];
      },
      read: function (inputs) { var v = picked(inputs)[0]; return v === undefined ? v : v === 'true'; },
      write: pickOne,
    },
    short_text: { render: answerBox({ type: 'text' }), read: typed, write: fill },
    long_text: { render: answerBox({ rows: '8' }), read: typed, write: fill },
    numeric: {
      render: answerBox({ type: 'text', inputmode: 'decimal' }),
      // A number, or the text as typed when it is not one (contract: the payload).
      read: function (inputs) {
        var v = typed(inputs);
        if (v === undefined) return v;
        var n = v.trim();
        if (n.indexOf('.') === -1) n = n.replace(',', '.'); // "1,5" in comma-decimal locales
        return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(n) ? Number(n) : v;
      },
      write: fill,
    },
    // In the page's seeded shuffle; unanswered until the candidate moves an item. The answer is
    // every item id in the candidate's order.
    ordering: {
      render: function (q, fs, base) {
        var list = fs.appendChild(el('ol', { class: 'order' }));
        shuffled(q.items, q.id).forEach(function (item, i) {
          var li = list.appendChild(el('li', { 'data-id': item.id }));
          li.appendChild(box('div', { id: base + '-' + i }, item.html));
          li.append(el('button', { type: 'button', class: 'quiet', value: -1, 'aria-describedby': base + '-' + i }, t('move_up')),
            el('button', { type: 'button', class: 'quiet', value: 1, 'aria-describedby': base + '-' + i }, t('move_down')));
        });
        list.onclick = move;
        return [list];
      },
      read: function (inputs) {
        return inputs[0].dataset.moved ? [].map.call(inputs[0].children, function (li) { return li.dataset.id; }) : undefined;
      },
      write: function (inputs, ids) {
        var list = inputs[0];
        list.dataset.moved = 1;
        [].concat(ids).forEach(function (id) { var li = list.querySelector('[data-id="' + CSS.escape(id) + '"]'); if (li) list.append(li); });
      },
    },
    // A select per prompt, its options (text only: formulas as TeX) in the page's seeded shuffle.
    // The answer: {prompt id: option id}.
    matching: {
      render: function (q, fs, base) {
        return q.prompts.map(function (p, i) {
          var row = fs.appendChild(el('div', { class: 'match' })), label = row.appendChild(box('label', { for: base + '-' + i }, p.html));
          var select = row.appendChild(el('select', { id: base + '-' + i, 'data-prompt': p.id }));
          if (label.querySelector('math')) select.setAttribute('aria-label', spoken(label));
          select.append(el('option', { value: '' }, t('choose')));
          shuffled(q.options, q.id).forEach(function (o) { select.append(el('option', { value: o.id }, spoken(box('template', {}, o.html).content))); });
          return select;
        });
      },
      read: function (inputs) {
        var v = {};
        inputs.forEach(function (s) { if (s.value) v[s.dataset.prompt] = s.value; });
        return Object.keys(v).length ? v : undefined;
      },
      write: function (inputs, v) { inputs.forEach(function (s) { s.value = v[s.dataset.prompt] || ''; }); },
    },
    // The text with an input where the build placed each blank. The answer: a text (or null) a blank.
    cloze: {
      render: function (q, fs, base) {
        return [].map.call(fs.appendChild(box('div', { class: 'cloze' }, q.text_html)).querySelectorAll('span[data-blank]'), function (span, i) {
          var input = el('input', { type: 'text', id: base + '-' + i, autocomplete: 'off', 'aria-label': t('blank', { n: i + 1 }) });
          if (q.blanks[i] == 'number') input.inputMode = 'decimal';
          span.replaceWith(input);
          return input;
        });
      },
      read: function (inputs) {
        var v = inputs.map(function (i) { return i.value.trim() ? i.value : null; });
        return v.some(Boolean) ? v : undefined;
      },
      write: function (inputs, v) { inputs.forEach(function (i, n) { i.value = v[n] || ''; }); },
    },
  };
  var unknownType = Object.keys(byId).map(function (id) { return byId[id].type; })
    .filter(function (type) { return !TYPES.hasOwnProperty(type); })[0];

  function renderQuestions() {
    ui.questions.textContent = '';
    // The heading names the form (aria-labelledby) and takes focus when the questions appear.
    ui.questions.appendChild(el('h2', { id: 'questions-heading', tabindex: '-1' }, t('questions_heading')));
    var list = ui.questions.appendChild(el('nav', { class: 'qnav', 'aria-label': t('question_list') }));
    rec.order.questions.forEach(function (qid, n) {
      var q = byId[qid];
      var base = 'q-' + n;
      var fs = el('fieldset', { class: 'question', 'data-question-id': q.id, 'data-type': q.type, 'aria-describedby': base + '-prompt' });
      var legend = el('legend');
      legend.appendChild(el('span', { class: 'q-number' }, t('question_number', { n: n + 1 })));
      if (q.points != null) {
        // Read as "Question 1, 2 points", not "Question 12 points": the flex gap is not text.
        legend.appendChild(el('span', { class: 'visually-hidden' }, t('list_separator')));
        legend.appendChild(el('span', { class: 'q-points' }, tn('points', q.points)));
      }
      fs.appendChild(legend);
      var prompt = el('div', { class: 'prompt', id: base + '-prompt' });
      prompt.innerHTML = q.prompt_html; // sanitised by the build
      fs.appendChild(prompt);
      controls[q.id] = { q: q, fieldset: fs, inputs: TYPES[q.type].render(q, fs, base) };
      // The question list jumps here.
      fs.tabIndex = -1;
      controls[q.id].flag = button(fs, { class: 'flag quiet' }, '', function () {
        rec.flags[qid] = !rec.flags[qid];
        mark(qid);
        save();
      });
      nav[qid] = button(list, {}, n + 1, function () { go(n).focus(); });
      ui.questions.appendChild(fs);
      writeAnswer(q.id, rec.answers[q.id]);
      mark(qid);
    });
    if (paged) {
      var pager = ui.questions.appendChild(el('div', { class: 'pager' }));
      button(pager, { id: 'previous-question' }, t('previous_question'), function () { go(rec.at - 1).focus(); });
      button(pager, { id: 'next-question' }, t('next_question'), function () { go(rec.at + 1).focus(); });
      go(rec.at || 0);
    }
  }

  // undefined means unanswered: unanswered questions are absent from the payload.
  function readAnswer(qid) {
    var c = controls[qid];
    return TYPES[c.q.type].read(c.inputs, c.q);
  }
  function writeAnswer(qid, value) {
    var c = controls[qid];
    if (value !== undefined) TYPES[c.q.type].write(c.inputs, value);
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
    mark(qid);
    clearTimeout(saveTimer);
    if (e.type === 'change') save();
    else {
      if (ui.saved) ui.saved.textContent = t('saving');
      saveTimer = setTimeout(save, 300);
    }
  }
  ui.questions.addEventListener('input', onAnswer);
  ui.questions.addEventListener('change', onAnswer);
  ui.questions.addEventListener('submit', function (e) { e.preventDefault(); }); // Enter in a text field

  // ---------------------------------------------------------------- the question list, flags and pages

  // The list says each question's state in words (its name) and in symbols (exam.css), never by
  // colour alone. Flags are the candidate's own reminders: kept in the record, never in a payload.
  // question id -> its button in the list
  var nav = {};
  var paged = part.display === 'one_per_page';
  function mark(qid) {
    var on = rec.flags[qid], done = qid in rec.answers, b = nav[qid], f = controls[qid].flag;
    b.className = (done ? 'done ' : 'quiet ') + (on ? 'flagged' : '');
    b.setAttribute('aria-label', [t('question_number', { n: b.textContent }), t(done ? 'answered' : 'unanswered')]
      .concat(on ? t('flagged') : []).join(t('list_separator')));
    f.setAttribute('aria-pressed', !!on);
    f.textContent = t(on ? 'flagged' : 'flag');
  }
  // One question at a time (display: one_per_page), or all of them; returns the question's
  // fieldset, which takes focus when the candidate moves, so a screen reader says where they are.
  function go(n) {
    var qs = rec.order.questions;
    if (paged) {
      rec.at = n;
      qs.forEach(function (qid, i) {
        controls[qid].fieldset.hidden = i !== n;
        nav[qid].setAttribute('aria-current', i === n);
      });
      $('previous-question').disabled = !n;
      $('next-question').disabled = n === qs.length - 1;
    }
    return controls[qs[n]].fieldset;
  }
  function button(parent, attrs, text, onClick) {
    var b = parent.appendChild(el('button', Object.assign({ type: 'button' }, attrs), text));
    b.addEventListener('click', onClick);
    return b;
  }
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
  // The same number of digits from start to end (0:59:59 after 1:00:00, 09:59 after 10:00), so
  // with tabular figures the timer never changes width and the header never moves.
  function format(seconds) {
    var s = Math.ceil(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var pad = function (n) { return (n < 10 ? '0' : '') + n; };
    return ((rec.time_limit || part.time_limit_seconds) >= 3600 ? h + ':' : '') + pad(m) + ':' + pad(r);
  }
  // A ticking clock distresses some candidates: they may hide it (kept for this browser). The
  // thresholds are still shown beside it and announced.
  var TIMER_HIDDEN_KEY = 'examsite:timer-hidden';
  function renderTimer() {
    var hide = !!load('localStorage', TIMER_HIDDEN_KEY);
    ui.timer.hidden = hide;
    // Words and figures apart, so a narrow screen can show the figures alone (exam.css).
    var words = t(current === 'paused' ? 'timer_paused' : 'timer', { time: '\u0000' }).split('\u0000');
    ui.timer.textContent = '';
    ui.timer.append(el('span', { class: 'timer-words' }, words[0]), format(rec.remaining), el('span', { class: 'timer-words' }, words[1]));
    ui.timer.dataset.remaining = String(Math.ceil(rec.remaining));
    ui.timer.classList.toggle('timer-warn', rec.remaining <= 600 && rec.remaining > 300);
    ui.timer.classList.toggle('timer-low', rec.remaining <= 300);
    // A warning stays beside the timer for its first minute, where the candidate is looking.
    var at = WARN_AT.filter(function (a) { return rec.remaining <= a && rec.remaining > a - 60 && (rec.time_limit || part.time_limit_seconds) > a; })[0];
    ui.warning.textContent = at ? tn('minutes_left', at / 60) : '';
    if (ui.timerToggle) {
      ui.timerToggle.hidden = false;
      ui.timerToggle.textContent = t(hide ? 'timer_show' : 'timer_hide');
    }
  }
  if (ui.timerToggle) {
    ui.timerToggle.addEventListener('click', function () {
      store('localStorage', TIMER_HIDDEN_KEY, load('localStorage', TIMER_HIDDEN_KEY) ? null : true);
      renderTimer();
    });
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
    // Thresholds only, said once each by the live region (renderTimer shows them).
    WARN_AT.forEach(function (at) {
      if (rec.remaining <= at && (rec.time_limit || part.time_limit_seconds) > at && rec.warned.indexOf(at) === -1) {
        rec.warned.push(at);
        announce(tn('minutes_left', at / 60));
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
    showStatus(t('renewing'), 'info');
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
    r.submitted = { submission_id: entry.id, at: new Date().toISOString(), reason: entry.payload.reason };
    r.pending_final = null;
    store('localStorage', entry.recKey, r);
  }

  function payload(kind, reason, id) {
    return {
      schema: 1, submission_id: id, kind: kind,
      exam_id: exam.id, part: part.index, part_count: exam.part_count,
      workflow_identifier: workflow, attendee_identifier: attendee, token: token || null,
      session_identifier: rec.session_identifier || null, proview_session_uuid: rec.session_uuid || null,
      answers: JSON.parse(JSON.stringify(rec.answers)), order: rec.order,
      started_at: rec.started_at, submitted_at: new Date().toISOString(),
      time_remaining_seconds: Math.max(0, Math.round(rec.remaining)), reason: reason,
    };
  }
  function queueSubmission(kind, reason) {
    var id = uuid4();
    var entry = { id: id, url: data.submission.url, recKey: recKey, payload: payload(kind, reason, id) };
    if (!outbox.add(entry)) showStatus(t('outbox_unavailable'), 'warning');
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

  // "Question 2, Question 5": the questions, by their number on the page, that `test` picks.
  function listed(test) {
    return rec.order.questions.map(function (qid, n) { return test(qid) ? t('question_number', { n: n + 1 }) : ''; })
      .filter(Boolean).join(t('list_separator'));
  }
  function confirmSubmit() {
    var missing = listed(function (qid) { return rec.answers[qid] === undefined; });
    var flagged = listed(function (qid) { return rec.flags[qid]; });
    var dialog = el('dialog', { id: 'confirm-submit', 'aria-labelledby': 'confirm-title' });
    dialog.appendChild(el('h2', { id: 'confirm-title' }, t('confirm_title')));
    dialog.appendChild(el('p', {}, missing ? t('confirm_unanswered', { questions: missing }) : t('confirm_all_answered')));
    if (flagged) dialog.appendChild(el('p', { id: 'confirm-flagged' }, t('confirm_flagged', { questions: flagged })));
    dialog.appendChild(el('p', {}, t('confirm_final')));
    var yes = el('button', { type: 'button', id: 'confirm-yes' }, t('confirm_yes'));
    var no = el('button', { type: 'button', id: 'confirm-no' }, t('confirm_no'));
    dialog.appendChild(yes);
    dialog.appendChild(no);
    $('exam-main').appendChild(dialog); // inside the main landmark, like everything else
    // Back to the Submit button when the candidate keeps working, so the keyboard is where it was.
    function keepWorking() { dialog.remove(); ui.submit.focus(); }
    yes.addEventListener('click', function () { dialog.close(); dialog.remove(); submitFinal('submit'); });
    no.addEventListener('click', function () { dialog.close(); keepWorking(); });
    dialog.addEventListener('cancel', keepWorking);
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
    var delivery = awaitDelivery(entry);
    focusStatus(); // the inputs are disabled now: focus goes to what happens next
    await delivery;
  }

  function awaitDelivery(entry) {
    showStatus(reasonText(entry) + t('sending'), 'info');
    return new Promise(function (resolve) {
      outbox.on(entry.id, async function (event, info) {
        if (event === 'failed') {
          var actions = info.attempt >= 3 ? [{ label: t('download_answers'), id: 'download-answers', onClick: function () { download(entry); } }] : [];
          showStatus(t('send_retrying', { attempt: info.attempt, seconds: Math.ceil(info.delay / 1000) }), 'warning', actions);
        } else if (event === 'rejected') {
          showStatus(t('send_refused'), 'error', [
            { label: t('download_answers'), id: 'download-answers', onClick: function () { download(entry); } },
            { label: t('try_again'), id: 'retry', onClick: function () { outbox.retry(entry.id); } },
          ]);
          focusStatus();
        } else if (event === 'accepted') {
          if (session) {
            // complete(), not stop(): stop() means "without submitting" (seed 000).
            showStatus(t('closing_session'), 'info');
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
    return entry.payload.reason === 'time_up' ? t('time_up') + ' ' : '';
  }

  function confirmation() {
    setState('submitted');
    ui.start.hidden = true;
    ui.identify.hidden = true;
    ui.questions.hidden = true;
    ui.actions.hidden = true;
    ui.timer.hidden = true;
    if (ui.timerToggle) ui.timerToggle.hidden = true;
    ui.saved.hidden = true;
    ui.warning.textContent = '';
    var actions = [];
    if (part.next_url) {
      var next = new URL(part.next_url, location.href);
      next.search = location.search; // keeps ?attendee and ?session for the next part
      actions.push({ label: t('next_part', { n: part.index + 1 }), href: next.href, id: 'next-part' });
    }
    // Time-up submissions say so, and the last part says the exam is over.
    showStatus(t(rec.submitted.reason === 'time_up' ? 'submitted_time_up' : 'submitted') + ' ', 'success', actions);
    ui.status.querySelector('.status-message').appendChild(el('code', { id: 'submission-id' }, rec.submitted.submission_id));
    if (!part.next_url) ui.status.firstChild.appendChild(el('p', { id: 'exam-finished' }, t('exam_finished')));
    focusStatus();
  }

  // ---------------------------------------------------------------- the session

  async function startExam() {
    if (current !== 'ready' && current !== 'error') return;
    setState('starting');
    ui.start.disabled = true;
    showStatus(t('starting'), 'info');
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
      fail(t('start_failed', { error: reason(e) }), startExam);
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
    showStatus(t('running'), 'info');
    renderTimer();
    // The Start button just vanished: focus goes to the content it revealed.
    $('questions-heading').focus();
    ticker = ticker || setInterval(tick, 1000);
    if (!navigator.onLine) pause('network');
  }
  ui.start.addEventListener('click', startExam);

  var pausedFor = null;
  var focusBeforePause = null; // the control the candidate was on, given back when the exam continues
  async function pause(why) {
    if (current !== 'running') return;
    account();
    pausedFor = why;
    focusBeforePause = document.activeElement;
    setState('paused');
    setInputsDisabled(true);
    renderTimer();
    store('localStorage', recKey, rec);
    showStatus(t('offline_paused'), 'warning');
    focusStatus(); // the focused input is disabled now; the message says why
    try { await sdk.pause('Network disconnected'); } catch (e) { /* offline: the SDK reports via onError */ }
  }
  function restoreFocus() {
    var back = focusBeforePause;
    focusBeforePause = null;
    if (back && back !== document.body && document.contains(back) && !back.closest('[hidden]')) back.focus();
    else if ($('questions-heading')) $('questions-heading').focus();
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
    showStatus(t('back_online'), 'info');
    restoreFocus();
  }
  window.addEventListener('offline', function () { pause('network'); });
  // The SDK saw the connection drop (legacy: networkDisconnectionCallback), perhaps while the browser
  // still thinks it is online, so no 'online' event may follow: the candidate continues by hand.
  function networkLost() {
    if (current !== 'running') return;
    pause('network');
    showStatus(t('connection_lost'), 'warning',
      [{ label: t('resume_exam'), id: 'resume-exam', onClick: function () { if (navigator.onLine) resume(); } }]);
    focusStatus();
  }
  window.addEventListener('online', function () { outbox.kick(); resume(); });

  function onSdkError(e) {
    var error = reason(e);
    if (current === 'running' || current === 'paused' || current === 'submitting') {
      // Shown, never destructive: the questions and answers stay as they are. Focus stays where the
      // candidate is working (role=alert announces it); Dismiss hands focus back to the questions.
      showStatus(t('sdk_error_running', { error: error }), 'error',
        [{ label: t('dismiss'), id: 'dismiss', onClick: function () {
          ui.status.textContent = '';
          if ($('questions-heading') && current === 'running') $('questions-heading').focus();
        } }]);
    } else if (current !== 'error') {
      showStatus(t('sdk_error', { error: error }), 'error');
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
    if (linkRefused || current === 'identify' || (rec && rec.submitted)) return; // told after the ID is given
    fail(t('loader_failed'), reloadLoader);
  }
  function reloadLoader() {
    var old = $('proview-loader');
    var s = el('script', { id: 'proview-loader', src: old.src, async: '', crossorigin: 'anonymous' });
    old.remove();
    loaderFailed = false;
    setState('loading');
    showStatus(t('preparing'), 'info');
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
    showStatus(t('connecting'), 'info');
    try {
      await sdk.init(pv, { attendee: attendee, workflow: workflow, session: sessionIdentifier() });
      sdk.limitLanguages(pv.languages);
      initDone = true;
    } catch (e) {
      fail(t('init_failed', { error: reason(e) }), initSdk);
      return;
    } finally { initBusy = false; }
    ready();
  }

  var focusStart = false; // set once the candidate acted on something that has since gone
  function ready() {
    // A question this runtime cannot show: said now, before any session starts, never skipped.
    if (unknownType) { fail(t('question_type_unknown', { type: unknownType })); return; }
    setState('ready');
    ui.start.disabled = false;
    ui.start.textContent = rec.started_at ? t('resume') : t('start');
    showStatus(t('ready'), 'info');
    // The ID form (or a Try again button) that had focus is gone: the next step is Start. On a
    // plain page load focus stays at the top, so the instructions are read first.
    var at = document.activeElement; // still the hidden form's input until the browser's next frame
    if (focusStart && (!at || at === document.body || !document.contains(at) || at.closest('[hidden]'))) ui.start.focus();
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
    else showStatus(t('preparing'), 'info');
  }

  ui.identify.addEventListener('submit', function (e) {
    e.preventDefault();
    if (signedLinks) return; // the attendee id is the link's
    var value = ui.attendeeInput.value.trim();
    if (!value) { ui.attendeeInput.focus(); return; }
    attendee = value;
    store('sessionStorage', ID_KEY, value); // a reload in this tab keeps it
    ui.identify.hidden = true;
    focusStart = true;
    identified();
  });

  window.Examsite = { sdkLoaded: sdkLoaded };
  // The template's inline hook calls Examsite.sdkLoaded; this covers a CSP that blocks inline code.
  if (sdk.name === 'v8' && typeof window.proviewOnLoad !== 'function') window.proviewOnLoad = sdkLoaded;

  setState('loading');
  armLoaderTimeout();
  outbox.kick(); // deliver anything left from an earlier visit
  if (linkRefused) {
    setState('error');
    ui.start.disabled = true;
    showStatus(t('signed_link_required'), 'error');
  } else if (attendee) identified();
  else {
    setState('identify');
    ui.identify.hidden = false;
    showStatus(t('identify'), 'info');
    ui.attendeeInput.focus({ preventScroll: true }); // the title, part and time limit stay in view
  }
  if (sdk.loaded()) sdkLoaded();
})();
