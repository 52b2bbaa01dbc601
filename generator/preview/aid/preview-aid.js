/* examsite preview aid. Served only by `examsite serve` at /__examsite/preview-aid.js and added
 * only to the pages it serves; never part of a build.
 *
 * - Shows the answer key beside each question (the panel's checkbox, or ?answers=1).
 * - Jumps the exam's clock forward: exam.js measures time with Date.now() deltas, so shifting
 *   Date.now() moves the timer (and, as in real life, the 90-minute session guard).
 * - Live reload: a livereload.js plugin that reloads past the runtime's "leave the exam?" prompt
 *   and resumes a running exam after the reload; on connecting, reloads a page older than the
 *   server's latest build (a save made while the page was loading).
 */
(function () {
  'use strict';

  var script = document.currentScript;
  var generation = script ? script.getAttribute('data-generation') : null;
  var OFFSET_KEY = 'examsite:preview:clock-offset';
  var SHOW_KEY = 'examsite:preview:show-key';

  function get(key) { try { return sessionStorage.getItem(key); } catch (e) { return null; } }
  function set(key, value) { try { sessionStorage.setItem(key, value); } catch (e) { /* memory only */ } }

  // ------------------------------------------------------------- the clock (runs before exam.js)

  var realNow = Date.now.bind(Date);
  var offset = Number(get(OFFSET_KEY)) || 0; // kept across reloads so the exam's record stays coherent
  Date.now = function () { return realNow() + offset; };
  function jump(seconds) {
    offset += seconds * 1000;
    set(OFFSET_KEY, String(offset));
  }

  // ------------------------------------------------------------- live reload

  var reloading = false;
  // Registered before exam.js's listener, so it can keep a live reload from being held up by
  // the runtime's "leave the exam?" prompt.
  window.addEventListener('beforeunload', function (e) { if (reloading) e.stopImmediatePropagation(); });

  function pageData() {
    var node = document.getElementById('examsite-data');
    if (!node) return null;
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  function reload() {
    reloading = true;
    var data = pageData();
    if (data && document.documentElement.dataset.examState === 'running') {
      // The runtime's own resume flag (set by its session refresh): the exam resumes by itself.
      set('examsite:resume:' + data.exam.id + ':' + data.part.index, 'true');
    }
    window.location.reload();
  }

  function LiveReloadPluginExamsite() {}
  LiveReloadPluginExamsite.identifier = 'examsite';
  LiveReloadPluginExamsite.version = '1.0';
  LiveReloadPluginExamsite.prototype.reload = function () { reload(); return true; };
  window.LiveReloadPluginExamsite = LiveReloadPluginExamsite;

  document.addEventListener('LiveReloadConnect', function () {
    document.documentElement.dataset.examsiteLive = 'connected';
    // Give the server a moment to register this page, then catch a build it published meanwhile.
    setTimeout(function () {
      fetch('/__examsite/generation', { cache: 'no-store' }).then(function (r) { return r.json(); })
        .then(function (state) { if (generation !== null && String(state.generation) !== generation) reload(); })
        .catch(function () { /* server gone: livereload.js reconnects */ });
    }, 100);
  });
  document.addEventListener('LiveReloadDisconnect', function () {
    document.documentElement.dataset.examsiteLive = 'disconnected';
  });

  // ------------------------------------------------------------- the answer key

  var key = null;

  // A choice as the candidate reads it (a formula by its TeX, as the runtime names it), not its id.
  function choiceText(fs, id) {
    var input = Array.prototype.filter.call(fs.querySelectorAll('input[value]'), function (i) { return i.value === id; })[0];
    if (!input) return id;
    var text = input.getAttribute('aria-label') || input.closest('label').textContent;
    return text.replace(/\s+/g, ' ').trim();
  }

  // The text an element of the question shows (a formula by its TeX), or `fallback`.
  function shown(fs, selector, fallback) {
    var node = fs.querySelector(selector);
    if (!node) return fallback;
    var copy = node.cloneNode(true);
    copy.querySelectorAll('math').forEach(function (m) {
      var tex = m.querySelector('annotation');
      m.replaceWith(tex ? tex.textContent : m.textContent);
    });
    return copy.textContent.replace(/\s+/g, ' ').trim();
  }

  // A blank's accepted answers, as a grader reads them.
  function accepted(blank, n) {
    return '[' + (n + 1) + '] ' + (blank.answers
      ? blank.answers.join(' | ') + (blank.case_sensitive ? ' (case-sensitive)' : '')
      : String(blank.answer) + (blank.tolerance ? ' ± ' + blank.tolerance : ''));
  }

  function describe(entry, fs) {
    if (!entry) return 'no key';
    switch (entry.type) {
      case 'ordering':
        return entry.items.map(function (id) { return shown(fs, 'li[data-id="' + CSS.escape(id) + '"] > div', id); })
          .join(' → ') + (entry.partial_credit ? ' (partial credit)' : '');
      case 'matching':
        return Object.keys(entry.pairs).map(function (prompt) {
          var select = fs.querySelector('select[data-prompt="' + CSS.escape(prompt) + '"]');
          var option = select ? shown(select, 'option[value="' + CSS.escape(entry.pairs[prompt]) + '"]', entry.pairs[prompt]) : entry.pairs[prompt];
          return (select ? shown(fs, 'label[for="' + select.id + '"]', prompt) : prompt) + ' → ' + option;
        }).join('; ');
      case 'cloze': return entry.blanks.map(accepted).join('; ');
      case 'single':
      case 'multiple':
        return entry.correct.map(function (id) { return choiceText(fs, id); }).join('; ') +
          (entry.partial_credit ? ' (partial credit)' : '');
      case 'true_false': return entry.answer ? 'True' : 'False';
      case 'numeric': return String(entry.answer) + (entry.tolerance ? ' ± ' + entry.tolerance : '');
      case 'short_text': return entry.answers.join(' | ') + (entry.case_sensitive ? ' (case-sensitive)' : '');
      case 'long_text': return entry.rubric ? 'rubric: ' + entry.rubric : 'graded by hand';
      default: return JSON.stringify(entry);
    }
  }

  function annotate() {
    if (!key) return;
    var show = get(SHOW_KEY) === '1';
    document.querySelectorAll('fieldset[data-question-id]').forEach(function (fs) {
      var note = fs.querySelector(':scope > .examsite-key');
      if (!show) { if (note) note.remove(); return; }
      if (note) return;
      var entry = key.questions[fs.getAttribute('data-question-id')];
      note = document.createElement('p');
      note.className = 'examsite-key';
      note.textContent = 'Answer: ' + describe(entry, fs) + (entry ? ' · ' + entry.points + ' pt' : '');
      if (entry && (entry.type === 'single' || entry.type === 'multiple')) {
        fs.querySelectorAll('input[value]').forEach(function (input) {
          if (entry.correct.indexOf(input.value) !== -1) input.closest('label').classList.add('examsite-correct');
        });
      }
      fs.appendChild(note);
    });
    if (!show) document.querySelectorAll('.examsite-correct').forEach(function (l) { l.classList.remove('examsite-correct'); });
  }

  function loadKey(examId) {
    return fetch('/__examsite/keys/' + encodeURIComponent(examId) + '.json', { cache: 'no-store' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (k) { key = k; annotate(); });
  }

  // ------------------------------------------------------------- the panel

  // The stand-in's "Preview: not proctored" badge joins the panel, which would otherwise cover it.
  function adoptBadge() {
    var badge = document.querySelector('body > .proview-fake-badge');
    var aside = document.getElementById('examsite-preview');
    if (badge && aside) aside.insertBefore(badge, aside.firstChild);
  }

  function button(label, onClick) {
    var b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.addEventListener('click', onClick);
    return b;
  }

  function panel(data) {
    var aside = document.createElement('aside');
    aside.id = 'examsite-preview';
    aside.setAttribute('aria-label', 'Preview tools (examsite serve only)');
    var title = document.createElement('strong');
    title.textContent = 'Preview';
    aside.appendChild(title);

    var label = document.createElement('label');
    var box = document.createElement('input');
    box.type = 'checkbox';
    box.id = 'examsite-show-key';
    box.checked = get(SHOW_KEY) === '1';
    box.addEventListener('change', function () {
      set(SHOW_KEY, box.checked ? '1' : '0');
      if (box.checked && !key) loadKey(data.exam.id); else annotate();
    });
    label.appendChild(box);
    label.appendChild(document.createTextNode(' Show answer key'));
    aside.appendChild(label);

    var clock = document.createElement('span');
    clock.className = 'examsite-jump';
    clock.appendChild(document.createTextNode('Jump the clock: '));
    [[60, '+1 min'], [300, '+5 min'], [900, '+15 min']].forEach(function (step) {
      var b = button(step[1], function () { jump(step[0]); });
      b.setAttribute('data-jump', String(step[0]));
      clock.appendChild(b);
    });
    aside.appendChild(clock);
    document.body.appendChild(aside);
  }

  document.addEventListener('DOMContentLoaded', function () {
    var data = pageData();
    if (!data) return; // the dev server's own pages (index, not found)
    var query = new URLSearchParams(location.search);
    if (query.get('answers') === '1') set(SHOW_KEY, '1');
    panel(data);
    adoptBadge();
    if (get(SHOW_KEY) === '1') loadKey(data.exam.id);
    new MutationObserver(function () { adoptBadge(); annotate(); }).observe(document.body, { childList: true, subtree: true });
  });

  window.ExamsitePreview = { jump: jump, showKey: function (on) {
    set(SHOW_KEY, on ? '1' : '0');
    return on ? loadKey(pageData().exam.id) : Promise.resolve(annotate());
  } };
})();
