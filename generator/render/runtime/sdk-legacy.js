/* examsite: the legacy Proview embed adapter (docs/proview.md): tv('init', token, options) and window.ProctorClient3.
 *
 * Implements the same window.ExamsiteSdk surface as sdk-v8.js (its header lists it), so exam.js
 * runs one lifecycle for both SDKs. How the lifecycle's steps map onto the legacy embed:
 *
 *   init(config, ids)   nothing to call yet: the embed has a single call, tv('init', ...), and it
 *                       runs the camera / microphone checks, so it belongs to start (the candidate
 *                       clicks Start). Only checks that the page has a token and a tv function.
 *   limitLanguages()    no-op: the legacy embed has no language API.
 *   start(ids)          tv('init', token, {session, profileId, session_type, sessionType,
 *                       sessionTitle, previewStyle, initCallback, networkDisconnectionCallback})
 *                       (if the loader left the page's queueing function in place, it is run
 *                       again to read the queue: see runLoaderAgain);
 *                       resolves when initCallback(err, sessionUuid) reports success and rejects,
 *                       with the SDK's message, when it reports an error (never swallowed: a
 *                       blank page is this embed's classic failure).
 *   pause(reason)       ProctorClient3.pause() (the document spells it Pause; either is accepted).
 *   resume(reason)      not offered: the legacy client documents no resume, so `resumable` is
 *                       false and the lifecycle renews the session instead (interim submission,
 *                       stop, reload, a new tv('init') with a new session identifier), exactly as
 *                       the 90-minute guard does. A paused session is never left paused.
 *   complete() / stop() ProctorClient3.stop(callback); resolves when the callback fires, rejects
 *                       with code "stop_timeout" after STOP_TIMEOUT_MS so a silent SDK cannot trap
 *                       the candidate (the lifecycle moves on either way).
 *   onNetworkLost(fn)   fn() from networkDisconnectionCallback; the lifecycle pauses the timer.
 *
 * The loader has no onload hook like v8's proviewOnLoad: this adapter calls
 * window.Examsite.sdkLoaded() itself when the #proview-loader script has loaded.
 */
(function () {
  'use strict';

  // Seed 001: stop "drains the outstanding buffer of data to the server"; give it time, not forever.
  var STOP_TIMEOUT_MS = 20000;

  // The queueing function, as the page template defines it; defined here too so a CSP that blocks
  // inline scripts still gets one (the template's `window.tv || ...` keeps whichever came first).
  if (!window.TalviewProctor) window.TalviewProctor = 'tv';
  if (typeof window[window.TalviewProctor] !== 'function') {
    window[window.TalviewProctor] = function () {
      (window[window.TalviewProctor].q = window[window.TalviewProctor].q || []).push(arguments);
    };
    window[window.TalviewProctor].l = Date.now();
  }
  var stub = window[window.TalviewProctor];
  // Looked up at call time: the loader may replace the queueing function with its own.
  function tv() { return window[window.TalviewProctor || 'tv']; }
  function client() { return window.ProctorClient3; }

  // The client's own message, or none: the runtime then says, in the exam's language, that no
  // reason was given (an English text here would show in a French page).
  function err(e, fallbackCode) {
    if (e && typeof e === 'object') {
      return {
        code: e.code || fallbackCode,
        message: (typeof e.message === 'string' && e.message) || (typeof e.error === 'string' && e.error) || '',
        type: e.type || 'critical',
        validationErrors: e.validationErrors || [],
      };
    }
    return { code: fallbackCode, message: typeof e === 'string' ? e : '', type: 'critical' };
  }

  // Load events do not reach window, but a capturing listener on document sees the loader's,
  // including a loader that exam.js re-inserts after a failure.
  var loaderLoaded = false;
  document.addEventListener('load', function (e) {
    if (!e.target || e.target.id !== 'proview-loader') return;
    loaderLoaded = true;
    if (window.Examsite) window.Examsite.sdkLoaded();
  }, true);

  // Every public integration queues tv('init') and then loads the loader; here the loader has run
  // before the candidate presses Start. A loader that took over the queueing function gets the call
  // directly; one that left the page's in place reads its queue only when it runs, so it is run
  // again, exactly as the snippet would (a new async script element after the queued call).
  function runLoaderAgain(onError) {
    var first = document.getElementById('proview-loader');
    if (!first) return;
    var s = document.createElement('script');
    s.src = first.src;
    s.async = true;
    s.crossOrigin = 'anonymous';
    s.addEventListener('error', onError); // no id: exam.js's loader-failure path is for the first load
    document.body.appendChild(s);
  }

  var config = null;
  var errorHandler = null;
  var networkHandler = null;

  function stopSession() {
    return new Promise(function (resolve, reject) {
      var c = client();
      if (!c || typeof c.stop !== 'function') {
        reject(err(null, 'stop_failed'));
        return;
      }
      var timer = setTimeout(function () {
        reject(err(null, 'stop_timeout'));
      }, STOP_TIMEOUT_MS);
      try {
        // The callback takes no arguments (docs/proview.md).
        c.stop(function () { clearTimeout(timer); resolve(); });
      } catch (e) {
        clearTimeout(timer);
        reject(err(e, 'stop_failed'));
      }
    });
  }

  window.ExamsiteSdk = {
    name: 'legacy',
    resumable: false,
    loaded: function () {
      return loaderLoaded || !!client();
    },
    onError: function (fn) { errorHandler = fn; },
    onNetworkLost: function (fn) { networkHandler = fn; },
    init: function (cfg) {
      if (!cfg || !cfg.token) {
        return Promise.reject(err(null, 'invalid_config'));
      }
      if (typeof tv() !== 'function') {
        return Promise.reject(err(null, 'init_failed'));
      }
      config = cfg;
      return Promise.resolve();
    },
    limitLanguages: function () {},
    start: function (ids) {
      return new Promise(function (resolve, reject) {
        if (!config) {
          reject(err(null, 'not_initialised'));
          return;
        }
        // `session` is mandatory in the legacy embed: without one from the page, derive the
        // identifier exam.js uses for multi-part exams.
        var session = ids.session || ids.workflow + '.' + ids.attendee;
        var settled = false;
        var options = {
          session: session,
          profileId: ids.attendee,
          // The document says sessionType, Talview's own integrations session_type: send both.
          session_type: config.session_type,
          sessionType: config.session_type,
          sessionTitle: config.session_title,
          initCallback: function (e, sessionUuid) {
            if (settled) {
              // A later error (checks failing again) is reported, never dropped.
              if (e && errorHandler) errorHandler(err(e, 'sdk_error'));
              return;
            }
            settled = true;
            if (e) reject(err(e, 'init_failed'));
            else resolve({ uuid: sessionUuid || null, session: session });
          },
          networkDisconnectionCallback: function () { if (networkHandler) networkHandler(); },
        };
        if (config.preview_style) options.previewStyle = config.preview_style;
        try {
          var f = tv();
          f('init', config.token, options);
          if (f === stub && window.ExamsiteSdk.loaded()) {
            runLoaderAgain(function () {
              if (settled) return;
              settled = true;
              reject(err(null, 'loader_failed'));
            });
          }
        } catch (e) {
          settled = true;
          reject(err(e, 'init_failed'));
        }
      });
    },
    pause: function () {
      return new Promise(function (resolve, reject) {
        var c = client();
        var fn = c && (c.pause || c.Pause);
        if (typeof fn !== 'function') {
          reject(err(null, 'pause_failed'));
          return;
        }
        try {
          Promise.resolve(fn.call(c)).then(function () { resolve(); },
            function (e) { reject(err(e, 'pause_failed')); });
        } catch (e) {
          reject(err(e, 'pause_failed'));
        }
      });
    },
    resume: function () {
      // Never called while resumable is false; if it is, say so rather than pretend.
      return Promise.reject(err(null, 'resume_unsupported'));
    },
    complete: stopSession,
    stop: stopSession,
  };
})();
