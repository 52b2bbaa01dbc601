/* examsite: a local stand-in for the legacy Proview loader (docs/proview.md).
 * NOT proctoring. Used by the dev server and by builds made with --proview fake and proview.sdk: legacy.
 *
 * Like the real loader it takes over the queueing function named by window.TalviewProctor
 * (calls queued before it loaded are replayed) and defines window.ProctorClient3
 * {stop(callback), pause(), Pause(), on(event, fn)}. tv('init', token, options) runs pretend
 * hardware checks and calls options.initCallback(err, sessionUuid).
 *
 * Records every call, in order, on window.__proview_calls ([{name, args}]; functions in the
 * options are recorded as "[function]"), and the stand-in's own callbacks as "initCallback"
 * ([err, sessionUuid]) and "stopCallback"; the calls of every page view of this tab are also kept in
 * sessionStorage "__proview_calls_log", with a "load" entry per page view (as the v8 stand-in does).
 *
 * Failure injection, from ?proview_fail=a,b or window.__proview_fail = ['a', 'b'] set before load:
 *   init_error        initCallback('Camera access was denied', null) on every tv('init')
 *   init_error_once   the same, on the first tv('init') of the page view only
 *   init_hold         initCallback waits until window.__proview_fake.releaseInit() is called
 *   stop_silent       ProctorClient3.stop never calls its callback
 *   network_after_start   networkDisconnectionCallback fires two seconds after initCallback
 *   queue_only        leave the page's queueing function in place and read its queue only when the
 *                     script runs (a second run of the script reads it again)
 * Test hooks: window.__proview_fake.disconnect() calls networkDisconnectionCallback;
 * .emit(event, payload) calls the handlers registered with ProctorClient3.on(event, ...).
 */
(function () {
  'use strict';

  // Run again (queue_only: the page re-inserts the loader to have its queue read): read it, nothing else.
  if (window.__proview_fake_drain) { window.__proview_fake_drain(); return; }

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
  function plain(value) {
    return JSON.parse(JSON.stringify(value === undefined ? null : value, function (k, v) {
      return typeof v === 'function' ? '[function]' : v;
    }));
  }
  function record(name, args) {
    var entry = { name: name, args: plain(args || []) };
    calls.push(entry);
    persist(entry);
  }
  persist({ name: 'load', args: [location.pathname] });

  var GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  var options = null; // the options of the last tv('init')
  var inits = 0;
  var heldInit = null;
  var handlers = {};

  function uuid() {
    return crypto.randomUUID ? crypto.randomUUID() : 'fake-' + Math.random().toString(16).slice(2);
  }
  function disconnect() {
    if (options && typeof options.networkDisconnectionCallback === 'function') options.networkDisconnectionCallback();
  }

  function init(token, opts) {
    record('init', [token, opts]);
    inits += 1;
    options = opts || {};
    var cb = typeof options.initCallback === 'function' ? options.initCallback : function () {};
    var error = null;
    if (!GUID.test(token || '')) error = 'Invalid account token';
    else if (!options.session || !options.profileId) error = 'session and profileId are required';
    else if (fails('init_error') || (fails('init_error_once') && inits === 1)) error = 'Camera access was denied';
    function finish() {
      var id = error ? null : uuid();
      record('initCallback', [error, id]);
      cb(error, id);
      if (error) return;
      if (fails('network_after_start')) setTimeout(disconnect, 2000);
    }
    // The real checks take a while and always answer asynchronously.
    if (fails('init_hold')) heldInit = finish;
    else setTimeout(finish, 50);
  }

  // Take over the queueing function, as a GA-style loader does, then replay what was queued before
  // it loaded. With queue_only it leaves the page's function in place and reads the queue only when
  // it runs, as every public integration's order (queue tv('init'), then load) would also allow.
  var name = window.TalviewProctor || 'tv';
  function command(cmd) {
    var args = Array.prototype.slice.call(arguments, 1);
    if (cmd === 'init') init(args[0], args[1]);
    else record(String(cmd), args);
  }
  function drain() {
    var queued = (window[name] && window[name].q) || [];
    queued.splice(0).forEach(function (args) { command.apply(null, args); });
  }
  if (fails('queue_only')) {
    window.__proview_fake_drain = drain;
    drain();
  } else {
    drain();
    window[name] = command;
  }

  function pause() { record('pause', []); }
  window.ProctorClient3 = {
    stop: function (callback) {
      record('stop', []);
      if (fails('stop_silent')) return;
      // The callback takes no arguments (docs/proview.md), after the buffer drains.
      setTimeout(function () {
        record('stopCallback', []);
        if (typeof callback === 'function') callback();
      }, 50);
    },
    pause: pause,
    Pause: pause, // the document's spelling
    on: function (event, fn) {
      record('on', [event]);
      (handlers[event] = handlers[event] || []).push(fn);
    },
  };

  // Test hooks: not part of the real SDK.
  window.__proview_fake = {
    disconnect: disconnect,
    releaseInit: function () { if (heldInit) heldInit(); heldInit = null; },
    emit: function (event, payload) { (handlers[event] || []).forEach(function (fn) { fn(payload); }); },
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
})();
