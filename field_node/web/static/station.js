/* On every station page and in the offline app (issue 14): the phone's own store (IndexedDB), the queue of
   visits saved on the phone and its upload, the 待上传 count, the 离线使用 button, and what a browser that cannot
   work offline is told.  Uploads go by themselves whenever the station answers (no refresh, no button needed). */
(function () {
  "use strict";
  var DB_NAME = "fieldsync", DB_VERSION = 1, TOKEN_HEADER = "X-Fieldsync-Phone";
  var STATE_LABELS = { phone: "已保存在手机", station: "已交站点", hub: "县里已收", refused: "站点退回，需修改" };

  function canWorkOffline() {
    return !!(window.isSecureContext && navigator.serviceWorker && window.indexedDB && window.fetch &&
              window.Promise);
  }

  var opening = null;
  function open() {
    if (!opening) {
      opening = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, DB_VERSION);
        request.onupgradeneeded = function () {
          var db = request.result;
          if (!db.objectStoreNames.contains("meta")) { db.createObjectStore("meta"); }
          if (!db.objectStoreNames.contains("queue")) { db.createObjectStore("queue", { keyPath: "id" }); }
          if (!db.objectStoreNames.contains("drafts")) { db.createObjectStore("drafts", { keyPath: "household" }); }
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return opening;
  }

  function run(storeName, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(storeName, mode);
        var result = work(tx.objectStore(storeName));
        tx.oncomplete = function () { resolve(result && "result" in result ? result.result : result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  var store = {
    get: function (name, key) { return run(name, "readonly", function (s) { return s.get(key); }); },
    put: function (name, value, key) {
      return run(name, "readwrite", function (s) { return key === undefined ? s.put(value) : s.put(value, key); });
    },
    remove: function (name, key) { return run(name, "readwrite", function (s) { return s.delete(key); }); },
    all: function (name) { return run(name, "readonly", function (s) { return s.getAll(); }); },
    clear: function () {
      return Promise.all(["meta", "queue", "drafts"].map(function (name) {
        return run(name, "readwrite", function (s) { return s.clear(); });
      }));
    }
  };

  function newId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function waiting(queue) { return queue.filter(function (v) { return v.state === "phone"; }); }

  function showCount() {
    return store.all("queue").then(function (queue) {
      var count = waiting(queue).length;
      var places = document.querySelectorAll(".queue-count");
      for (var i = 0; i < places.length; i++) {
        places[i].textContent = "待上传 " + count + " 条";
        places[i].className = "queue-count" + (count ? " waiting" : "");
      }
      document.dispatchEvent(new CustomEvent("fieldsync:queue", { detail: queue }));
      return queue;
    });
  }

  function api(path, token, body) {
    return fetch(path, {
      method: body === undefined ? "GET" : "POST", credentials: "omit", cache: "no-store",
      headers: (function () {
        var h = { "Accept": "application/json" };
        h[TOKEN_HEADER] = token;
        if (body !== undefined) { h["Content-Type"] = "application/json"; }
        return h;
      })(),
      body: body === undefined ? undefined : JSON.stringify(body)
    });
  }

  function note(text) {
    var place = document.getElementById("upload-note");
    if (place) { place.textContent = text; }
  }

  var flushing = null;
  /* Send every visit still only on the phone, one at a time, then ask where the sent ones are.  The station
     stores each once whatever is resent, so a reply lost on the way is answered by sending again. */
  function flush() {
    if (flushing) { return flushing; }
    flushing = store.get("meta", "session").then(function (session) {
      if (!session) { return null; }
      return store.all("queue").then(function (queue) {
        var sent = waiting(queue);
        return sendEach(session, sent).then(function () { return refreshStates(session); })
          .then(function () {  // visits just stored: the list learns their numbers and states at once
            return session.expired ? null : sent.length ? loadBundle(session).catch(function () { return null; }) :
              refreshBundle(session);
          });
      });
    }).catch(function () { note("站点暂时连不上，记录保存在手机上，连上站点 Wi-Fi 后会自动上传。"); })
      .then(function () { flushing = null; return showCount(); });
    return flushing;
  }

  function sendEach(session, visits) {
    var chain = Promise.resolve();
    visits.forEach(function (visit) {
      chain = chain.then(function () {
        return api("/api/phone/visits", session.token, {
          id: visit.id, household: visit.household, month: visit.month, fields: visit.fields,
          phone_time: visit.saved_at, correct: visit.correct || null
        }).then(function (reply) {
          return reply.json().then(function (data) {
            if (reply.status === 401) { session.expired = true; note(data.message); return store.put("meta", session, "session"); }
            if (reply.ok) { visit.state = "station"; visit.seq = data.seq; visit.problems = null; }
            else if (reply.status === 422) { visit.state = "refused"; visit.problems = data; }
            else { throw new Error("upload " + reply.status); }
            return store.put("queue", visit);
          });
        });
      });
    });
    return chain;
  }

  function refreshStates(session) {
    return store.all("queue").then(function (queue) {
      var ids = queue.filter(function (v) { return v.state === "station"; }).map(function (v) { return v.id; });
      if (!ids.length) { return null; }
      return api("/api/phone/states", session.token, { ids: ids }).then(function (reply) {
        if (!reply.ok) { return null; }
        return reply.json().then(function (data) {
          return Promise.all(queue.filter(function (v) { return data.states[v.id] && data.states[v.id] !== v.state; })
            .map(function (v) { v.state = data.states[v.id]; return store.put("queue", v); }));
        });
      });
    });
  }

  /* The month's list again from the station, at most every ten minutes while it answers (after a sync the
     phone learns which households are done). */
  var BUNDLE_EVERY_MS = 10 * 60 * 1000;
  function refreshBundle(session) {
    return store.get("meta", "bundle").then(function (bundle) {
      if (bundle && bundle.fetched_at && Date.now() - bundle.fetched_at < BUNDLE_EVERY_MS) { return null; }
      return loadBundle(session);
    }).catch(function () { return null; });  // the list on the phone stays as it was
  }

  /* What the status line says while the offline package comes down: a percentage when the size is known (the
     station sends the uncompressed size in X-Bundle-Length: a gzip'd reply's Content-Length is not what the
     stream counts), else the kilobytes so far. */
  function kb(bytes) { return Math.max(1, Math.round(bytes / 1024)) + " KB"; }
  function progressText(received, total) {
    if (total > 0) {
      var percent = Math.min(100, Math.floor(received * 100 / total));
      return "正在下载离线数据包：已完成 " + percent + "%（" + kb(Math.min(received, total)) + " / " + kb(total) + "）";
    }
    return "正在下载离线数据包：已下载 " + kb(received);
  }

  /* The reply's body as text, calling ``progress(received, total)`` as its bytes arrive (total 0 when unknown). */
  function readWithProgress(reply, progress) {
    var total = +(reply.headers.get("X-Bundle-Length") || 0);
    if (!total && !reply.headers.get("Content-Encoding")) { total = +(reply.headers.get("Content-Length") || 0); }
    if (!reply.body || !reply.body.getReader || !window.TextDecoder) {
      return reply.text().then(function (text) { progress(total || text.length, total); return text; });
    }
    var reader = reply.body.getReader(), decoder = new TextDecoder("utf-8"), received = 0, parts = [];
    progress(0, total);
    function next() {
      return reader.read().then(function (step) {
        if (step.done) { parts.push(decoder.decode()); progress(total || received, total); return parts.join(""); }
        received += step.value.length;
        parts.push(decoder.decode(step.value, { stream: true }));
        progress(received, total);
        return next();
      });
    }
    return next();
  }

  /* 离线使用, tapped once at the station while signed in. */
  function startOffline(button) {
    var status = document.getElementById("offline-status"), bar = document.getElementById("offline-progress");
    function say(text) { if (status) { status.textContent = text; } }
    function shown(received, total) {
      say(progressText(received, total));
      if (bar && total > 0) { bar.hidden = false; bar.value = Math.min(100, Math.floor(received * 100 / total)); }
    }
    say("正在准备离线使用……");
    fetch(button.getAttribute("data-url"), {
      method: "POST", credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": button.getAttribute("data-csrf") }
    }).then(function (reply) {
      if (!reply.ok) { throw new Error("start " + reply.status); }
      return reply.json();
    }).then(function (session) {
      return store.put("meta", session, "session").then(function () { return loadBundle(session, shown); });
    }).then(function () {
      say("离线数据包已下载（100%），正在把应用保存到手机……");
      return navigator.serviceWorker.register("/sw.js", { scope: "/" });
    }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function () {
      return navigator.storage && navigator.storage.persist ? navigator.storage.persist() : false;
    }).then(function (kept) {
      return store.put("meta", !!kept, "persisted");
    }).then(function () {
      say("离线使用已准备好，正在打开……");
      window.location.href = "/offline";
    }).catch(function () {
      if (bar) { bar.hidden = true; }
      say("没能准备好离线使用，请在站点 Wi-Fi 下再点一次。");
    });
  }

  /* The month's list of the account's villages; ``progress(received, total)``, when given, hears its bytes. */
  function loadBundle(session, progress) {
    return api("/api/phone/bundle", session.token).then(function (reply) {
      if (!reply.ok) { throw new Error("bundle " + reply.status); }
      return progress ? readWithProgress(reply, progress).then(JSON.parse) : reply.json();
    }).then(function (bundle) { bundle.fetched_at = Date.now(); return store.put("meta", bundle, "bundle"); });
  }

  function wireStationPage() {
    var button = document.getElementById("offline-start");
    var advice = document.getElementById("offline-unsupported");
    if (button && !canWorkOffline()) {
      button.style.display = "none";
      if (advice) { advice.hidden = false; }
      return;
    }
    if (button) { button.addEventListener("click", function () { startOffline(button); }); }
    var signOut = document.getElementById("sign-out-form");
    if (signOut) {
      signOut.addEventListener("submit", function (event) {
        var form = this, checked = form.querySelector("input[name=phone_checked]");
        if (checked.value) { return; }
        event.preventDefault();
        store.all("queue").then(function (queue) {
          var count = waiting(queue).length;
          if (count && !window.confirm("手机上还有 " + count + " 条走访没有上传，退出会删除它们。确定退出吗？")) { return; }
          checked.value = "1";  // the station clears the phone's copy only when this page has asked
          form.submit();
        }, function () { checked.value = "1"; form.submit(); });
      });
    }
    if (document.getElementById("signed-out-kept")) { keepOnlyQueued(); }
  }

  /* Signed out without the check above (no JavaScript, or the form posted before this script ran): the station
     did not clear the phone.  The month's list, the session and the drafts go; visits not yet at the station stay,
     and go up after the next sign-in and 离线使用. */
  function keepOnlyQueued() {
    store.all("queue").then(function (queue) {
      var kept = waiting(queue).concat(queue.filter(function (v) { return v.state === "refused"; }));
      return store.clear().then(function () {
        return Promise.all(kept.map(function (v) { return store.put("queue", v); }));
      });
    }).then(showCount);
  }

  /* The signature pad of the visit form, on the station's page and in the offline app alike: draws on ``canvas``,
     keeps the picture in ``field`` (a PNG data URL), calls ``changed`` after each stroke or clear. */
  function signaturePad(canvas, field, changed) {
    var ctx = canvas.getContext("2d"), drawing = false, last = null;
    ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
    function point(event) {
      var rect = canvas.getBoundingClientRect(), source = event.touches ? event.touches[0] : event;
      return { x: (source.clientX - rect.left) * canvas.width / rect.width,
               y: (source.clientY - rect.top) * canvas.height / rect.height };
    }
    function start(event) { drawing = true; last = point(event); event.preventDefault(); }
    function move(event) {
      if (!drawing) { return; }
      var next = point(event);
      ctx.beginPath(); ctx.moveTo(last.x, last.y); ctx.lineTo(next.x, next.y); ctx.stroke();
      last = next; event.preventDefault();
    }
    function end() {
      if (!drawing) { return; }
      drawing = false; field.value = canvas.toDataURL("image/png"); changed();
    }
    canvas.addEventListener("mousedown", start); canvas.addEventListener("mousemove", move);
    window.addEventListener("mouseup", end);
    canvas.addEventListener("touchstart", start); canvas.addEventListener("touchmove", move);
    canvas.addEventListener("touchend", end);
    document.getElementById("signature-clear").addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height); field.value = ""; changed();
    });
    if (field.value) {
      var image = new Image();
      image.onload = function () { ctx.drawImage(image, 0, 0); };
      image.src = field.value;
    }
  }
  window.FieldsyncSignaturePad = signaturePad;

  window.FieldsyncStore = {
    store: store, newId: newId, flush: flush, showCount: showCount, loadBundle: loadBundle, api: api,
    readWithProgress: readWithProgress, progressText: progressText,
    labels: STATE_LABELS, canWorkOffline: canWorkOffline
  };

  wireStationPage();
  if (canWorkOffline()) {
    showCount().then(flush);
    window.addEventListener("online", flush);
    setInterval(flush, 15000);
    var upload = document.getElementById("upload-now");
    if (upload) { upload.addEventListener("click", flush); }
  }
})();
