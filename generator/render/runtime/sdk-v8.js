/* examsite: the Proview v8 adapter (docs/proview.md).
 *
 * The lifecycle in exam.js talks only to window.ExamsiteSdk, never to window.Proview, so a legacy
 * adapter (tv('init', ...) / ProctorClient3) can implement the same surface:
 *
 *   name                          "v8"
 *   loaded()                      true once the vendor global exists
 *   onError(fn)                   fn(err) for errors raised by the SDK at any time
 *   init(config, ids)             Promise<void>; config is the page's "proview" object,
 *                                 ids is {attendee, workflow, session}; rejects with an Err
 *   limitLanguages(list)          restrict the SDK's UI languages (no-op for an empty list)
 *   start(ids)                    Promise<{uuid, session}>, once the session is running
 *   pause(reason) / resume(reason) / complete() / stop()    Promise<void>
 *   resumable                     false when the SDK cannot resume a paused session: the lifecycle
 *                                 then renews the session as the 90-minute guard does (legacy)
 *   onNetworkLost(fn)             fn() when the SDK itself detects a lost connection; the lifecycle
 *                                 pauses (legacy: networkDisconnectionCallback; v8 has none)
 *
 * Every rejection is normalised to {code, message, type} so the page can always show a message.
 * The page calls window.Examsite.sdkLoaded() from window.proviewOnLoad (docs/proview.md); an adapter
 * whose loader has no such hook (the legacy embed) calls it itself once loaded() is true.
 */
(function () {
  'use strict';

  // The SDK's own message, or none: the runtime then says, in the exam's language, that no reason
  // was given (an English text here would show in a French page).
  function err(e, fallbackCode) {
    if (e && typeof e === 'object') {
      return {
        code: e.code || fallbackCode,
        message: (typeof e.message === 'string' && e.message) || '',
        type: e.type || 'critical',
        validationErrors: e.validationErrors || [],
      };
    }
    return { code: fallbackCode, message: typeof e === 'string' ? e : '', type: 'critical' };
  }

  // Only pass identifiers we have: the SDK derives session_identifier when it is undefined.
  function idFields(ids) {
    var out = {};
    if (ids.attendee) out.attendee_identifier = ids.attendee;
    if (ids.workflow) out.workflow_identifier = ids.workflow;
    if (ids.session) out.session_identifier = ids.session;
    return out;
  }

  async function call(fn, code) {
    try {
      return await fn();
    } catch (e) {
      throw err(e, code);
    }
  }

  window.ExamsiteSdk = {
    name: 'v8',
    resumable: true,
    loaded: function () {
      return !!(window.Proview && window.Proview.session);
    },
    onError: function (fn) {
      // Proview keeps one handler; registering again replaces it.
      window.Proview.onError(function (e) { fn(err(e, 'sdk_error')); });
    },
    // v8 has no disconnection callback: the browser's offline/online events pause and resume.
    onNetworkLost: function () {},
    init: async function (config, ids) {
      var cfg = idFields(ids);
      cfg.dsn = config.dsn;
      var ok = await call(function () { return window.Proview.init(cfg); }, 'init_failed');
      if (!ok) throw err(null, 'init_failed');
    },
    limitLanguages: function (list) {
      if (list && list.length && window.Proview.locale) window.Proview.locale.limitLanguages(list);
    },
    start: async function (ids) {
      var res = await call(function () { return window.Proview.session.start(idFields(ids)); }, 'start_failed');
      // session_identifier tells which identifier the SDK derived when we gave none.
      return { uuid: (res && res.uuid) || null, session: (res && res.session_identifier) || null };
    },
    pause: function (reason) {
      return call(function () { return window.Proview.session.pause(reason); }, 'pause_failed');
    },
    resume: function (reason) {
      return call(function () { return window.Proview.session.resume(reason); }, 'resume_failed');
    },
    complete: function () {
      return call(function () { return window.Proview.session.complete(); }, 'complete_failed');
    },
    stop: function () {
      return call(function () { return window.Proview.session.stop(); }, 'stop_failed');
    },
  };
})();
