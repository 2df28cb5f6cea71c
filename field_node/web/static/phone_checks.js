/* What the offline app checks and protects on the phone itself (issue 14), with no network:
   - a citizen ID number typed for a family change, checked as shared/idnumber.py checks it, then SEALED to the
     hub's public key in the browser (WebCrypto X25519 + HKDF-SHA-256 + AES-256-GCM, byte for byte the format of
     shared/sealing.py): the phone keeps only the sealed text, which only the hub can open;
   - the readings of the characters a grid member may type (static/readings.txt), so that a name typed with a
     homophone (周兰平) finds 周兰萍 by its pinyin, as the station's search does;
   - an ID number or a mobile number typed into a note (numbersInText, textProblem): the mirror of
     shared/free_text.py, refused before the visit is saved on the phone. */
(function () {
  "use strict";
  var WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], CHECK = "10X98765432";
  var INFO = "fieldsync sealed value v1", PREFIX = "s1.";

  function normalise(raw) { return String(raw || "").replace(/\s/g, "").toUpperCase(); }

  /* Why an ID number is not valid (the messages of shared/idnumber.py), or null. */
  function idProblem(raw) {
    var value = normalise(raw);
    if (/^\d(\.\d+)?E\+?\d+$/i.test(value)) { return "身份证号码被转成了科学计数法，后几位已丢失：请照证件重新输入。"; }
    if (!/^\d{17}[\dX]$/.test(value)) { return "身份证号码应为18位：前17位是数字，最后一位是数字或X。"; }
    var year = +value.slice(6, 10), month = +value.slice(10, 12), day = +value.slice(12, 14);
    var born = new Date(Date.UTC(year, month - 1, day));
    if (born.getUTCFullYear() !== year || born.getUTCMonth() !== month - 1 || born.getUTCDate() !== day) {
      return "身份证号码中的出生日期不是有效日期。";
    }
    var total = 0;
    for (var i = 0; i < 17; i++) { total += (+value[i]) * WEIGHTS[i]; }
    if (CHECK[total % 11] !== value[17]) { return "身份证号码校验位不对，可能有数字录错，请核对证件。"; }
    return null;
  }

  /* ID numbers and mobile numbers typed into free text, found as shared/free_text.py finds them (the same
     patterns; no lookbehind, which older Safari cannot parse: the character before a match is matched instead). */
  var WIDE = "０１２３４５６７８９Ｘｘ", NARROW = "0123456789Xx";
  var TEXT_MESSAGES = {
    id_number: "这里不能写身份证号码：备注会同步到县里，出现在页面和报表上。请删去号码后再保存（成员的证件号码在“家庭变化”或户信息里登记）。",
    mobile: "这里不能写手机号码：备注会同步到县里，出现在页面和报表上。请删去号码后再保存（联系电话在户信息里登记）。"
  };

  function narrowDigits(text) {
    var out = "";
    for (var i = 0; i < text.length; i++) {
      var at = WIDE.indexOf(text[i]);
      out += at < 0 ? text[i] : NARROW[at];
    }
    return out;
  }

  function matches(pattern, text, keep) {
    var found = [], m;
    pattern.lastIndex = 0;
    while ((m = pattern.exec(text)) !== null) {
      var start = m.index + m[1].length, value = m[2];
      if (keep(value)) { found.push({ start: start, end: start + value.length }); }
    }
    return found;
  }

  function valid15(digits) {
    var year = 1900 + +digits.slice(6, 8), month = +digits.slice(8, 10), day = +digits.slice(10, 12);
    var born = new Date(Date.UTC(year, month - 1, day));
    return born.getUTCFullYear() === year && born.getUTCMonth() === month - 1 && born.getUTCDate() === day;
  }

  function checkOk(value) {
    var total = 0;
    for (var i = 0; i < 17; i++) { total += (+value[i]) * WEIGHTS[i]; }
    return CHECK[total % 11] === value[17].toUpperCase();
  }

  /* Every ID number and mobile number in ``text``: [{kind, start, end}] in order of position. */
  function numbersInText(text) {
    var plain = narrowDigits(String(text || "")), found = [];
    matches(/(^|[^0-9A-Za-z])(\d{17}[0-9Xx])(?![0-9A-Za-z])/g, plain, checkOk)
      .forEach(function (f) { found.push({ kind: "id_number", start: f.start, end: f.end }); });
    matches(/(^|[^0-9A-Za-z])(\d{15})(?![0-9A-Za-z])/g, plain, valid15)
      .forEach(function (f) { found.push({ kind: "id_number", start: f.start, end: f.end }); });
    matches(/(^|[^0-9A-Za-z])(1[3-9]\d(?:\d{8}|([ -])\d{4}\3\d{4}))(?![0-9A-Za-z])/g, plain, function () { return true; })
      .forEach(function (f) { found.push({ kind: "mobile", start: f.start, end: f.end }); });
    return found.sort(function (a, b) { return a.start - b.start; });
  }

  /* The message for a text that holds an ID number (first) or a mobile number, or null. */
  function textProblem(text) {
    var kinds = numbersInText(text).map(function (f) { return f.kind; });
    if (kinds.indexOf("id_number") >= 0) { return TEXT_MESSAGES.id_number; }
    return kinds.indexOf("mobile") >= 0 ? TEXT_MESSAGES.mobile : null;
  }

  function fromBase64url(text) {
    var plain = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    var bytes = new Uint8Array(plain.length);
    for (var i = 0; i < plain.length; i++) { bytes[i] = plain.charCodeAt(i); }
    return bytes;
  }

  function toBase64url(bytes) {
    var plain = "";
    for (var i = 0; i < bytes.length; i++) { plain += String.fromCharCode(bytes[i]); }
    return btoa(plain).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function joined(parts) {
    var size = parts.reduce(function (sum, p) { return sum + p.length; }, 0), out = new Uint8Array(size), at = 0;
    parts.forEach(function (p) { out.set(p, at); at += p.length; });
    return out;
  }

  var subtle = window.crypto && window.crypto.subtle;
  var canSealCache = null;
  /* Whether this browser can seal (X25519 in WebCrypto: current Chromium, Firefox, Safari 17+). */
  function canSeal() {
    if (!canSealCache) {
      canSealCache = subtle ? subtle.generateKey({ name: "X25519" }, true, ["deriveBits"])
        .then(function () { return true; }, function () { return false; }) : Promise.resolve(false);
    }
    return canSealCache;
  }

  /* ``plaintext`` sealed to the hub's public key (base64url of its 32 raw bytes): "s1." + base64url(ephemeral
     public key || nonce || AES-GCM ciphertext and tag); the key is HKDF-SHA-256 of the X25519 secret, salted with
     both public keys; the ephemeral public key is the associated data. */
  function seal(hubKeyText, plaintext) {
    var hubRaw = fromBase64url(hubKeyText), encoder = new TextEncoder(), ephemeral, ephemeralRaw;
    return Promise.all([subtle.generateKey({ name: "X25519" }, true, ["deriveBits"]),
                        subtle.importKey("raw", hubRaw, { name: "X25519" }, false, [])]).then(function (keys) {
      ephemeral = keys[0];
      return Promise.all([subtle.exportKey("raw", ephemeral.publicKey),
                          subtle.deriveBits({ name: "X25519", public: keys[1] }, ephemeral.privateKey, 256)]);
    }).then(function (found) {
      ephemeralRaw = new Uint8Array(found[0]);
      return subtle.importKey("raw", found[1], "HKDF", false, ["deriveKey"]);
    }).then(function (secret) {
      return subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: joined([ephemeralRaw, hubRaw]),
                                info: encoder.encode(INFO) }, secret, { name: "AES-GCM", length: 256 }, false,
                              ["encrypt"]);
    }).then(function (key) {
      var nonce = crypto.getRandomValues(new Uint8Array(12));
      return subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: ephemeralRaw }, key,
                            encoder.encode(plaintext)).then(function (sealed) {
        return PREFIX + toBase64url(joined([ephemeralRaw, nonce, new Uint8Array(sealed)]));
      });
    });
  }

  var readings = null;
  /* The readings table, fetched once (the service worker keeps it): character -> first reading, toneless. */
  function loadReadings() {
    if (readings) { return Promise.resolve(readings); }
    return fetch("/static/readings.txt").then(function (reply) { return reply.ok ? reply.text() : ""; })
      .then(function (text) {
        var table = {};
        text.split("\n").forEach(function (line) {
          var space = line.indexOf(" ");
          if (space < 0) { return; }
          var reading = line.slice(0, space), chars = line.slice(space + 1);
          for (var i = 0; i < chars.length; i++) { table[chars[i]] = reading; }
        });
        readings = table;
        return table;
      }, function () { return {}; });
  }

  /* The pinyin of typed Chinese characters (first readings), or null when some character has none. */
  function spelled(text) {
    var chars = String(text || "").replace(/\s/g, "");
    if (!readings || !chars || !/^[\u4e00-\u9fff]+$/.test(chars)) { return null; }
    var out = "";
    for (var i = 0; i < chars.length; i++) {
      if (!readings[chars[i]]) { return null; }
      out += readings[chars[i]];
    }
    return out;
  }

  /* The visit a month's income is compared with, as the station does (visits.latest(before=month)): for a new
     visit the bundle's last one; for a correction the newest counted visit before the corrected month (h.last may
     be the very visit being corrected). */
  function incomeBaseline(h, month, correcting) {
    var last = h.last;
    if (!correcting) { return last ? { month: last.month, net: netOf(last.income) } : null; }
    var earlier = (h.visits || []).filter(function (v) {
      return v.month < month && typeof v.net === "number" && v.state !== "corrected" && v.state !== "rejected";
    }).sort(function (a, b) { return a.month === b.month ? b.seq - a.seq : (a.month < b.month ? 1 : -1); });
    if (earlier.length) { return { month: earlier[0].month, net: earlier[0].net }; }
    return last && last.month < month ? { month: last.month, net: netOf(last.income) } : null;
  }

  function netOf(income) { return income.wage + income.business + income.property + income.transfer - income.expenses; }

  window.FieldsyncPhone = { idProblem: idProblem, normaliseId: normalise, canSeal: canSeal, seal: seal,
                            loadReadings: loadReadings, spelled: spelled, incomeBaseline: incomeBaseline,
                            numbersInText: numbersInText, textProblem: textProblem };
})();
