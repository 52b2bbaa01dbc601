/* examsite: a local stand-in for the Proview v8 loader (docs/proview.md).
 * NOT proctoring. Used by the dev server and by builds made with --proview fake.
 *
 * Records every call, in order, on window.__proview_calls ([{name, args}]); the calls of every
 * page view of this tab are also kept in sessionStorage "__proview_calls_log" (a guard refresh
 * reloads the page), with a "load" entry per page view.
 *
 * Failure injection, from ?proview_fail=a,b or window.__proview_fail = ['a', 'b'] set before load:
 *   noload         never call window.proviewOnLoad (the page's loader timeout must fire)
 *   init_false     init resolves false
 *   init_reject    init rejects as with an empty DSN ("Missing DSN")
 *   start_reject   session.start rejects (camera permission denied)
 *   start_hold     session.start waits until window.__proview_fake.releaseStart() is called
 *   pause_reject, resume_reject, complete_reject, stop_reject
 *   error_after_start   onError fires a warning one second after start resolves
 * Errors are shaped {code, message, type, validationErrors}.
 */
(function () {
  'use strict';

  var params = new URLSearchParams(location.search);
  var failures = (params.get('proview_fail') || '').split(',').concat(window.__proview_fail || []);
  function fails(what) { return failures.indexOf(what) !== -1; }

  var LOG_KEY = '__proview_calls_log';
  var calls = (window.__proview_calls = []);
  function persist(entry) {
    try {
      var log = JSON.parse(sessionStorage.getItem(LOG_KEY) || '[]');
      log.push(entry);
      sessionStorage.setItem(LOG_KEY, JSON.stringify(log));
    } catch (e) { /* storage unavailable: the in-page log still works */ }
  }
  function record(name, args) {
    var entry = { name: name, args: JSON.parse(JSON.stringify(args || [])) };
    calls.push(entry);
    persist(entry);
  }
  persist({ name: 'load', args: [location.pathname] });

  function sdkError(code, message, type) {
    return { code: code, message: message, type: type || 'critical', validationErrors: [] };
  }

  var handler = null;
  var context = {};
  var state = null; // init, registered, running, paused, suspended, terminated, stopped, completed
  var heldStart = null;

  function emit(e) { if (handler) handler(e); }
  function uuid() {
    return crypto.randomUUID ? crypto.randomUUID() : 'fake-' + Math.random().toString(16).slice(2);
  }
  function reject(e) {
    emit(e); // Proview: operations invoke the onError handler on failure
    return Promise.reject(e);
  }

  window.Proview = {
    onError: function (fn) { record('onError', []); handler = fn; },
    init: function (config) {
      record('init', [config]);
      config = config || {};
      if (fails('init_reject') || !config.dsn) {
        var e = sdkError('invalid_config', 'Missing DSN');
        e.validationErrors = [{ path: 'dsn', message: 'Missing DSN', code: 'too_small' }];
        return Promise.reject(e);
      }
      if (fails('init_false')) return Promise.resolve(false);
      ['attendee_identifier', 'workflow_identifier', 'session_identifier'].forEach(function (k) {
        if (config[k]) context[k] = config[k];
      });
      state = 'init';
      return Promise.resolve(true);
    },
    setAttendee: function (id) { record('setAttendee', [id]); context.attendee_identifier = id; },
    setWorkflow: function (id) { record('setWorkflow', [id]); context.workflow_identifier = id; },
    locale: { limitLanguages: function (list) { record('limitLanguages', [list]); } },
    session: {
      get state() { return state; },
      start: function (opts) {
        record('start', [opts || {}]);
        if (!state) return reject(sdkError('not_initialised', 'Proview.init has not completed'));
        if (fails('start_reject')) {
          return reject(sdkError('permission_denied', 'Camera permission was denied'));
        }
        opts = opts || {};
        Object.keys(opts).forEach(function (k) { if (opts[k]) context[k] = opts[k]; });
        if (!context.session_identifier) {
          context.session_identifier = context.attendee_identifier + '-' + context.workflow_identifier;
        }
        var result = { uuid: uuid(), state: 'running', session_identifier: context.session_identifier };
        function run() {
          state = 'running';
          if (fails('error_after_start')) {
            setTimeout(function () { emit(sdkError('face_not_detected', 'No face detected', 'warning')); }, 1000);
          }
          return result;
        }
        if (fails('start_hold')) {
          return new Promise(function (resolve) { heldStart = function () { resolve(run()); }; });
        }
        return Promise.resolve(run());
      },
      pause: function (reason) {
        record('pause', [reason]);
        if (!reason) return reject(sdkError('invalid_argument', 'A pause reason is required'));
        if (fails('pause_reject')) return reject(sdkError('pause_failed', 'Pause failed'));
        state = 'paused';
        return Promise.resolve();
      },
      resume: function (reason) {
        record('resume', [reason]);
        if (fails('resume_reject')) return reject(sdkError('resume_failed', 'Resume failed'));
        state = 'running';
        return Promise.resolve();
      },
      complete: function () {
        record('complete', []);
        if (fails('complete_reject')) return reject(sdkError('complete_failed', 'Complete failed'));
        state = 'completed';
        return Promise.resolve();
      },
      stop: function () {
        record('stop', []);
        if (fails('stop_reject')) return reject(sdkError('stop_failed', 'Stop failed'));
        state = 'stopped';
        return Promise.resolve();
      },
    },
  };

  // Test hooks: not part of the real SDK.
  window.__proview_fake = {
    emitError: emit,
    releaseStart: function () { if (heldStart) heldStart(); heldStart = null; },
  };

  function badge() {
    var b = document.createElement('div');
    b.className = 'proview-fake-badge';
    b.setAttribute('role', 'note');
    b.textContent = 'Preview: not proctored';
    document.body.appendChild(b);
  }
  if (document.body) badge();
  else document.addEventListener('DOMContentLoaded', badge);

  if (!fails('noload') && typeof window.proviewOnLoad === 'function') window.proviewOnLoad();
})();
