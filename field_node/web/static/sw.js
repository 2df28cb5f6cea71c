/* The offline station app's service worker (issue 14).  It keeps the app's files (never personal data: that is in
   IndexedDB, written by station.js) and answers a page opened with no network with the app shell.  A new version
   replaces the cached files only: IndexedDB, where queued visits wait, is never touched by an update. */
"use strict";
var VERSION = "__VERSION__";
var CACHE = "fieldsync-app-" + VERSION;
var FILES = ["/offline", "/static/station.js", "/static/phone_checks.js", "/static/offline.js",
             "/static/readings.txt", "/static/offline.css", "/static/app.css", "/static/icon.svg",
             "/manifest.webmanifest"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    // "no-cache": revalidate with the station (a 304 for a file the page has just loaded, not its bytes again over
    // 2G), never a stale copy from the HTTP cache after a version change.
    return cache.addAll(FILES.map(function (url) { return new Request(url, { cache: "no-cache" }); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("fieldsync-app-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("message", function (event) {
  if (event.data === "version" && event.source) { event.source.postMessage({ version: VERSION }); }
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.indexOf("/api/") === 0) {
    return;  // uploads and the phone API always go to the station
  }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(function () {
      return caches.match("/offline", { cacheName: CACHE });
    }));
    return;
  }
  if (FILES.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.match(url.pathname, { cacheName: CACHE }).then(function (found) {
      return found || fetch(request);
    }));
  }
});
