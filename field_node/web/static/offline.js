/* The offline app (issue 14): the month's coverage of the grid member's own villages, search, the visit form with
   its entry checks, drafts and the signature pad, all from the phone's IndexedDB (station.js keeps it).  A saved
   visit is queued on the phone with an id made here; station.js uploads it and the station stores it once, checks
   it again exactly as at the station, signs it and syncs it to the hub. */
(function () {
  "use strict";
  var F = window.FieldsyncStore;
  var view = document.getElementById("view");
  var SOURCES = [["wage", "工资性收入"], ["business", "生产经营收入"], ["property", "财产性收入"],
                 ["transfer", "转移性收入"], ["expenses", "生产经营支出"]];
  var METHODS = [["in_person", "入户"], ["phone", "电话"], ["wechat", "微信"]];
  var PLACES = [["county", "县内"], ["province", "省内县外"], ["outside", "省外"]];
  var ACKS = [["confirmed", "户主认可"], ["disputed", "户主不认可"], ["not_reached", "未能当面确认"]];
  var RISKS = [["illness", "疾病"], ["disability", "残疾"], ["schooling", "上学"], ["disaster", "自然灾害"],
               ["accident", "意外事故"], ["unstable_work", "务工不稳定"]];
  var STATUS = { visited: "已入户", contacted: "已电话/微信", not_yet: "未走访" };
  var MAX_YUAN = 10000000, DROP_SHARE = 0.3;
  var bundle = null, session = null, queue = [];

  if (!F || !F.canWorkOffline()) {
    view.textContent = "这个浏览器不能离线使用：请用 Chrome、Edge 或手机自带浏览器的最新版，通过站点的 https 地址打开。";
    return;
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) { return; }
      if (key === "text") { node.textContent = value; } else if (key.slice(0, 2) === "on") {
        node.addEventListener(key.slice(2), value);
      } else { node.setAttribute(key, value === true ? "" : value); }
    });
    (children || []).forEach(function (child) {
      if (child) { node.appendChild(typeof child === "string" ? document.createTextNode(child) : child); }
    });
    return node;
  }

  function today() {
    var now = new Date();
    return now.getFullYear() + "-" + ("0" + (now.getMonth() + 1)).slice(-2) + "-" + ("0" + now.getDate()).slice(-2);
  }

  function localTime(iso) {
    var d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString("zh-CN", { hour12: false });
  }

  function show(nodes) {
    view.textContent = "";
    nodes.forEach(function (node) { if (node) { view.appendChild(node); } });
    window.scrollTo(0, 0);
  }

  function household(number) {
    return (bundle.households || []).filter(function (h) { return h.number === number; })[0];
  }

  function onPhoneThisMonth(number) {
    return queue.filter(function (v) { return v.household === number && v.month === bundle.month; });
  }

  /* The month's list: every household of the grid member's villages, searchable by name, number or initials. */
  function listView() {
    var list = el("div", { "class": "offline-list" });
    var search = el("input", { type: "search", id: "offline-search", placeholder: "户编号、姓名或拼音首字母（zl）",
                               "aria-label": "搜索" });
    function fill() {
      var text = search.value.trim().toLowerCase();
      list.textContent = "";
      var shown = bundle.households.filter(function (h) {
        if (!text) { return true; }
        var names = h.members.map(function (m) { return m.name; }).join(" ");
        return (h.number + " " + h.head + " " + names + " " + h.keys).toLowerCase().indexOf(text) >= 0;
      });
      shown.forEach(function (h) {
        var mine = onPhoneThisMonth(h.number);
        var state = mine.length ? F.labels[mine[mine.length - 1].state] : STATUS[h.status];
        list.appendChild(el("button", { type: "button", "class": "row household-row", "data-number": h.number,
                                        onclick: function () { location.hash = "#/v/" + h.number; } }, [
          el("span", { "class": "name", text: h.head || "（未列户主）" }),
          el("span", { "class": "muted small", text: h.number + " · " + h.village }), " ",
          el("span", { "class": "status", text: state })]));
      });
      if (!shown.length) { list.appendChild(el("p", { "class": "muted", text: "没有符合的户。" })); }
    }
    search.addEventListener("input", fill);
    fill();
    var done = bundle.households.filter(function (h) { return h.status !== "not_yet" || onPhoneThisMonth(h.number).length; });
    show([el("h1", { text: bundle.month + " 走访（" + bundle.name + "）" }),
          el("p", { "class": "muted", text: "共 " + bundle.households.length + " 户，本月已走访 " + done.length + " 户" }),
          search, list]);
  }

  function radios(name, choices, values) {
    return el("div", { "class": "choices" }, choices.map(function (c) {
      return el("label", { "class": "choice" }, [el("input", { type: "radio", name: name, value: c[0],
        checked: values[name] === c[0] }), " " + c[1]]);
    }));
  }

  function input(label, name, values, attrs) {
    return el("label", {}, [label, el("input", Object.assign({ name: name, value: values[name] || "" }, attrs || {}))]);
  }

  function carriedJob(job, last) {
    var month = bundle.month, year = month.slice(0, 4), number = parseInt(month.slice(5), 10);
    if (!job) { return null; }
    var months = last.month.slice(0, 4) !== year ? 1 : Math.min(job.months + (last.month < month ? 1 : 0), number);
    return { place: job.place, province: job.province, months: months, wage: job.wage };
  }

  function placeName(key) { return ((bundle.places || PLACES).filter(function (p) { return p[0] === key; })[0] || [key, key])[1]; }

  /* What "各项与上月相同" saves, shown before saving: each source and each labourer's work, as carried. */
  function carriedSummary(h) {
    var last = h.last, lines = [];
    SOURCES.forEach(function (s) { lines.push(s[1] + " " + last.income[s[0]] + " 元"); });
    h.members.filter(function (m) { return m.labourer; }).forEach(function (m) {
      var job = carriedJob(last.jobs[String(m.id)], last);
      lines.push(m.name + "：" + (job ? placeName(job.place) + (job.province ? " " + job.province : "") + "，今年 " +
                 job.months + " 个月，本月 " + job.wage + " 元" : "上次记录为未务工"));
    });
    return el("div", { "class": "carried", id: "carried-summary" }, [el("b", { text: "将保存（与上次走访相同）：" }),
      el("ul", {}, lines.map(function (line) { return el("li", { text: line }); }))]);
  }

  function formView(number, editing) {
    var h = household(number);
    if (!h) { show([el("p", { "class": "error", text: "手机上没有这户（可能不在您负责的村）。" })]); return; }
    var draftKey = number;
    var start = editing ? Promise.resolve({ fields: editing.fields }) : F.store.get("drafts", draftKey);
    start.then(function (draft) { renderForm(h, editing, draft); });
  }

  function valuesOf(fields) {
    var values = {};
    Object.keys(fields || {}).forEach(function (k) { values[k] = fields[k][0]; values["list:" + k] = fields[k]; });
    return values;
  }

  function renderForm(h, editing, draft) {
    var head = h.head, values = valuesOf(draft && draft.fields);
    if (!draft) { values.date = today(); values.ack_by = head; }
    var last = h.last, form = el("form", { id: "offline-visit-form", "class": "stack", novalidate: true });
    var nodes = [el("h1", { text: (editing ? "修改 " : "") + bundle.month + " 走访" }),
                 el("p", { "class": "muted", text: (head || "（未列户主）") + " · " + h.number + " · " + h.village })];
    if (draft && !editing) { nodes.push(el("p", { "class": "notice", text: "已恢复上次填写的草稿（" + localTime(draft.at) + "）。" })); }
    if (editing && editing.problems) {
      var problems = editing.problems, texts = [];
      Object.keys(problems.errors || {}).forEach(function (k) { texts.push(problems.errors[k]); });
      Object.keys(problems.warnings || {}).forEach(function (k) { texts.push(problems.warnings[k]); });
      nodes.push(el("p", { "class": "error", text: "站点退回：" + texts.join(" ") }));
    }
    var earlier = onPhoneThisMonth(h.number).filter(function (v) { return !editing || v.id !== editing.id; });
    if (h.status !== "not_yet" || earlier.length) {
      nodes.push(el("p", { "class": "notice", id: "second-visit", text: "这户本月已有走访记录。如果是改正上次的记录，" +
        "请回站点在这户的页面点“更正”；确实是再次走访才继续填写。" }));
    }
    nodes.push(el("table", { "class": "members" }, [el("tr", {}, ["姓名", "关系", "年龄", "劳动能力"].map(function (t) {
      return el("th", { text: t }); }))].concat(h.members.map(function (m) {
      return el("tr", {}, [m.name, m.relation, m.age === null ? "" : String(m.age), m.labour].map(function (t) {
        return el("td", { text: t }); }));
    }))));
    var lastLabel = last ? "上次走访（" + last.month + "）" : "";
    var howSet = el("fieldset", {}, [el("legend", { text: "走访方式" }), radios("method", METHODS, values),
      el("span", { "class": "field-error", id: "error-method" }), input("日期", "date", values, { type: "date" }),
      el("span", { "class": "field-error", id: "error-date" })]);
    form.appendChild(howSet);
    var incomeSet = el("fieldset", {}, [el("legend", { text: "本月收入（元）" })]);
    if (last) {
      incomeSet.appendChild(el("label", { "class": "choice wide" }, [el("input", { type: "checkbox", name: "all_unchanged",
        value: "1", id: "all-unchanged", checked: !!values.all_unchanged }), " 各项与" + lastLabel + "相同（已与农户核实）"]));
      incomeSet.appendChild(el("div", { id: "carried-place" }));
    }
    SOURCES.forEach(function (s) {
      incomeSet.appendChild(el("div", { "class": "money" }, [input(s[1], "income_" + s[0], values, { inputmode: "numeric" }),
        last ? el("span", { "class": "last", text: lastLabel + " " + last.income[s[0]] }) : null,
        last ? el("label", { "class": "check small" }, [el("input", { type: "checkbox", name: "unchanged_" + s[0], value: "1",
          checked: !!values["unchanged_" + s[0]] }), " 不变"]) : null,
        el("span", { "class": "field-error", id: "error-income_" + s[0] })]));
    });
    form.appendChild(incomeSet);
    var workSet = el("fieldset", { id: "work" }, [el("legend", { text: "劳动力务工情况" })]);
    if (last) {
      workSet.appendChild(el("label", { "class": "check" }, [el("input", { type: "checkbox", name: "unchanged_employment",
        value: "1", checked: !!values.unchanged_employment }), " 务工情况与" + lastLabel + "相同"]));
    }
    h.members.filter(function (m) { return m.labourer; }).forEach(function (m) {
      var prefix = "emp_" + m.id + "_", job = last && last.jobs[String(m.id)];
      workSet.appendChild(el("div", { "class": "labourer" }, [el("b", { text: m.name }),
        last ? el("span", { "class": "last", text: lastLabel + "：" + (job ? placeName(job.place) + (job.province ? " " + job.province : "") +
          "，" + job.months + " 个月，" + job.wage + " 元" : "未务工") }) : null,
        el("label", {}, ["务工地点", el("select", { name: prefix + "place" }, [["", "请选择"], ["none", "未务工"]].concat(bundle.places || PLACES).map(function (p) {
          return el("option", { value: p[0], selected: values[prefix + "place"] === p[0], text: p[1] });
        }))]), el("span", { "class": "field-error", id: "error-" + prefix + "place" }),
        el("label", {}, ["省份（省外务工）", el("select", { name: prefix + "province" }, [""].concat(bundle.provinces || []).map(function (p) {
          return el("option", { value: p, selected: values[prefix + "province"] === p, text: p || "—" });
        }))]),
        el("span", { "class": "field-error", id: "error-" + prefix + "province" }),
        input("今年务工月数", prefix + "months", values, { inputmode: "numeric" }),
        el("span", { "class": "field-error", id: "error-" + prefix + "months" }),
        input("本月工资（元）", prefix + "wage", values, { inputmode: "numeric" }),
        el("span", { "class": "field-error", id: "error-" + prefix + "wage" })]));
    });
    form.appendChild(workSet);
    form.appendChild(el("fieldset", {}, [el("legend", { text: "风险情况" }), el("div", { "class": "choices" }, RISKS.map(function (r) {
      return el("label", { "class": "choice" }, [el("input", { type: "checkbox", name: "risks", value: r[0],
        checked: (values["list:risks"] || []).indexOf(r[0]) >= 0 }), " " + r[1]]);
    }))]));
    var pad = el("canvas", { id: "signature-pad", width: "320", height: "140", "aria-label": "在此签名" });
    var signature = el("input", { type: "hidden", name: "signature", id: "signature", value: values.signature || "" });
    form.appendChild(el("fieldset", {}, [el("legend", { text: "农户确认" }), radios("ack_status", ACKS, values),
      el("span", { "class": "field-error", id: "error-ack_status" }), input("确认人", "ack_by", values, { maxlength: "50" }),
      el("span", { "class": "field-error", id: "error-ack_by" }), el("div", { "class": "signature" }, [el("span", { text: "签名（入户走访）" }),
      pad, signature, el("button", { type: "button", "class": "link", id: "signature-clear", text: "清除签名" })]),
      el("span", { "class": "field-error", id: "error-signature" })]));
    form.appendChild(el("label", {}, ["备注", el("textarea", { name: "note", maxlength: "500", rows: "2", text: values.note || "" })]));
    form.appendChild(el("div", { id: "warnings" }));
    form.appendChild(el("p", { "class": "error", id: "form-error", role: "alert" }));
    form.appendChild(el("button", { type: "submit", "class": "primary big", id: "save", text: "保存在手机" }));
    form.appendChild(el("p", { "class": "muted small", text: "保存后记录在手机上排队，连上站点后自动上传，由站点签名后同步到县里。" }));
    nodes.push(form);
    show(nodes);
    window.FieldsyncSignaturePad(pad, signature, function () { keepDraft(h, form, editing); });
    var all = document.getElementById("all-unchanged");
    function carried() {
      var place = document.getElementById("carried-place");
      if (place) { place.textContent = ""; if (all.checked) { place.appendChild(carriedSummary(h)); } }
      document.getElementById("work").hidden = !!(all && all.checked);
    }
    if (all) { all.addEventListener("change", carried); carried(); }
    form.addEventListener("input", function () { keepDraft(h, form, editing); });
    form.addEventListener("change", function () { keepDraft(h, form, editing); });
    form.addEventListener("submit", function (event) { event.preventDefault(); save(h, form, editing); });
  }

  function fieldsOf(form) {
    var fields = {};
    new FormData(form).forEach(function (value, key) { (fields[key] = fields[key] || []).push(String(value)); });
    return fields;
  }

  var draftTimer = null;
  function keepDraft(h, form, editing) {
    if (editing) { return; }
    clearTimeout(draftTimer);
    draftTimer = setTimeout(function () {
      F.store.put("drafts", { household: h.number, fields: fieldsOf(form), at: new Date().toISOString() });
    }, 500);
  }

  function whole(text) {
    var clean = String(text || "").replace(/[,，\s]/g, "");
    return /^\d+$/.test(clean) ? parseInt(clean, 10) : null;
  }

  /* The station's entry checks (field_node/web/visit_form.py), made on the phone; the station makes them again. */
  function check(h, f, editing) {
    var editingId = editing && editing.id;
    var errors = {}, warnings = {}, one = function (k) { return (f[k] || [""])[0]; };
    var last = h.last, all = !!one("all_unchanged"), income = {};
    if (!one("method")) { errors.method = "请选择走访方式。"; }
    var day = one("date");
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) { errors.date = "请填写走访日期（年-月-日）。"; }
    else if (day > today()) { errors.date = "日期在今天之后，请核对日期（和手机的时间）。"; }
    else if (day.slice(0, 7) < bundle.month) { errors.date = "走访日期不能早于所报月份。"; }
    SOURCES.forEach(function (s) {
      var name = "income_" + s[0], raw = one(name).trim();
      if (all || one("unchanged_" + s[0])) {
        if (!last) { errors[name] = "没有上次走访可比，请填写本月金额。"; return; }
        if (raw && whole(raw) !== last.income[s[0]]) { errors[name] = "已勾选不变却填了不同的金额，请二选一。"; return; }
        income[s[0]] = last.income[s[0]];
      } else if (!raw) { errors[name] = "请填写本月金额（没有填 0），或确认不变。"; }
      else if (whole(raw) === null) { errors[name] = "请填写整数元（没有填 0）。"; }
      else if (whole(raw) > MAX_YUAN) { errors[name] = "金额太大，请核对。"; }
      else { income[s[0]] = whole(raw); }
    });
    var jobs = [];
    if (!all && !one("unchanged_employment")) {
      h.members.filter(function (m) { return m.labourer; }).forEach(function (m) {
        var p = "emp_" + m.id + "_", place = one(p + "place");
        if (!place) { errors[p + "place"] = "请选择务工地点，没有务工请选“未务工”。"; return; }
        if (place === "none") { return; }
        if (place === "outside" && !one(p + "province").trim()) { errors[p + "province"] = "请填写务工的省份。"; }
        var months = whole(one(p + "months")), wage = whole(one(p + "wage"));
        if (months === null || months > 12) { errors[p + "months"] = "请填写 0 到 12 的整数。"; }
        if (wage === null) { errors[p + "wage"] = "请填写整数元（没有填 0）。"; }
        if (wage > 0 && months === 0) { errors[p + "months"] = "填了工资却没有务工月数，请核对。"; }
        jobs.push({ months: months || 0, wage: wage || 0 });
      });
    } else if (last) {
      Object.keys(last.jobs).forEach(function (id) { jobs.push(carriedJob(last.jobs[id], last)); });
    }
    var ack = one("ack_status");
    if (!ack) { errors.ack_status = "请记录农户是否认可。"; }
    else if (ack !== "not_reached") {
      if (!one("ack_by").trim()) { errors.ack_by = "由谁确认？"; }
      if (one("method") === "in_person" && one("signature").indexOf("data:image/png;base64,") !== 0) {
        errors.signature = "入户走访需要农户在屏幕上签名。";
      }
    }
    if (Object.keys(errors).length) { return { errors: errors, warnings: warnings }; }
    if (last) {
      var before = last.income.wage + last.income.business + last.income.property + last.income.transfer - last.income.expenses;
      var now = income.wage + income.business + income.property + income.transfer - income.expenses;
      if (before > 0 && now < before * (1 - DROP_SHARE)) {
        warnings.income_drop = "本月纯收入（" + now + " 元）比" + lastLabelOf(last) + "（" + before + " 元）低 " +
          Math.round(100 * (before - now) / before) + "%。";
      }
    }
    var jobsWage = jobs.reduce(function (sum, j) { return sum + (j ? j.wage : 0); }, 0);
    if (jobsWage > income.wage) {
      warnings.wage_below_jobs = "家庭工资性收入（" + income.wage + " 元）少于劳动力本月工资合计（" + jobsWage + " 元），请核对。";
    }
    var elapsed = parseInt(bundle.month.slice(5), 10);
    if (jobs.some(function (j) { return j && j.months > elapsed; })) {
      warnings.months_beyond_elapsed = "今年务工月数超过了已过去的 " + elapsed + " 个月。";
    }
    if (h.status !== "not_yet" || onPhoneThisMonth(h.number).filter(function (v) { return v.id !== editingId; }).length) {
      warnings.second_visit = "这户本月已有走访记录：如果是改正上次的记录，请回站点“更正”；确属再次走访，请勾选并写明原因。";
    }
    var returned = (editing && editing.problems && editing.problems.warnings) || {};
    Object.keys(returned).forEach(function (code) { warnings[code] = warnings[code] || returned[code]; });
    Object.keys(warnings).forEach(function (code) {
      if (one("confirm_" + code) && one("reason_" + code).trim()) { delete warnings[code]; }
    });
    return { errors: errors, warnings: warnings };
  }

  function lastLabelOf(last) { return "上次走访（" + last.month + "）"; }

  function showProblems(form, found) {
    var marks = form.querySelectorAll(".field-error");
    for (var i = 0; i < marks.length; i++) { marks[i].textContent = ""; }
    Object.keys(found.errors).forEach(function (k) {
      var mark = document.getElementById("error-" + k);
      if (mark) { mark.textContent = found.errors[k]; }
    });
    var place = document.getElementById("warnings");
    Object.keys(found.warnings).forEach(function (code) {
      if (document.getElementById("warning-" + code)) { return; }
      place.appendChild(el("div", { "class": "warning", id: "warning-" + code }, [el("p", { text: found.warnings[code] }),
        el("label", { "class": "check" }, [el("input", { type: "checkbox", name: "confirm_" + code, value: "1" }), " 情况属实"]),
        el("label", {}, ["原因（简短）", el("input", { name: "reason_" + code, maxlength: "200" })])]));
    });
    var count = Object.keys(found.errors).length + Object.keys(found.warnings).length;
    document.getElementById("form-error").textContent = count ? "请按提示修改或确认下面标出的内容。" : "";
  }

  function save(h, form, editing) {
    if (session && (session.expired || session.expires < new Date().toISOString())) {
      document.getElementById("form-error").textContent = "离线使用已到期：请回站点登录后再点“离线使用”。";
      return;
    }
    var fields = fieldsOf(form), found = check(h, fields, editing);
    showProblems(form, found);
    if (Object.keys(found.errors).length || Object.keys(found.warnings).length) {
      var first = form.querySelector(".field-error:not(:empty), .warning");
      if (first) { first.scrollIntoView(); }
      return;
    }
    var visit = { id: editing ? editing.id : F.newId(), household: h.number, month: bundle.month, fields: fields,
                  saved_at: new Date().toISOString(), state: "phone" };
    clearTimeout(draftTimer);
    F.store.put("queue", visit).then(function () { return F.store.remove("drafts", h.number); }).then(function () {
      location.hash = "#/saved/" + visit.id;
      F.showCount().then(F.flush);
    });
  }


  function queueView(savedId) {
    var rows = queue.slice().sort(function (a, b) { return a.saved_at < b.saved_at ? 1 : -1; });
    show([savedId ? el("p", { "class": "saved", role: "status", id: "saved-note", text: "已保存在手机，连上站点后自动上传。" }) : null,
          el("p", {}, [el("a", { "class": "button primary", href: "#/", id: "back-to-list", text: "返回本月名单" })]),
          el("h1", { text: "记录状态" }),
          el("ul", { "class": "records", id: "queue-list" }, rows.map(function (v) {
            var h = household(v.household) || { head: "", number: v.household };
            return el("li", { "data-id": v.id }, [el("span", { text: (h.head || h.number) + " · " + v.month + " · " + localTime(v.saved_at) }), " ",
              el("b", { "class": "state-" + v.state, text: F.labels[v.state] || v.state }),
              v.state === "refused" ? el("a", { "class": "button small", href: "#/e/" + v.id, text: "修改" }) : null]);
          }).concat(rows.length ? [] : [el("li", { "class": "muted", text: "手机上还没有走访记录。" })]))]);
  }

  function route() {
    var hash = location.hash || "#/", parts = hash.slice(2).split("/");
    if (!bundle) { return; }
    if (parts[0] === "v" && parts[1]) { formView(decodeURIComponent(parts[1]), null); }
    else if (parts[0] === "e" && parts[1]) {
      var editing = queue.filter(function (v) { return v.id === parts[1]; })[0];
      if (editing) { formView(editing.household, editing); } else { location.hash = "#/queue"; }
    }
    else if (parts[0] === "queue" || parts[0] === "saved") { queueView(parts[0] === "saved" ? parts[1] : null); }
    else { listView(); }
  }

  function signOut() {
    var count = queue.filter(function (v) { return v.state === "phone" || v.state === "refused"; }).length;
    if (count) {
      document.getElementById("upload-note").textContent = "还有 " + count + " 条走访没有交到站点：请先连上站点上传，再退出。";
      return;
    }
    var token = session && session.token;
    (token ? F.api("/api/phone/end", token, {}).catch(function () { return null; }) : Promise.resolve()).then(function () {
      return F.store.clear();
    }).then(function () {
      return caches.keys().then(function (names) { return Promise.all(names.map(function (n) { return caches.delete(n); })); });
    }).then(function () {
      return navigator.serviceWorker.getRegistrations().then(function (regs) {
        return Promise.all(regs.map(function (r) { return r.unregister(); }));
      });
    }).then(function () { location.href = "/login"; });
  }

  document.getElementById("offline-sign-out").addEventListener("click", signOut);
  document.addEventListener("fieldsync:queue", function (event) {
    queue = event.detail;
    var hash = location.hash || "#/";
    if (bundle && (hash.indexOf("#/queue") === 0 || hash.indexOf("#/saved") === 0)) { route(); }
  });
  window.addEventListener("hashchange", route);

  Promise.all([F.store.get("meta", "session"), F.store.get("meta", "bundle"), F.store.get("meta", "persisted"),
               F.store.all("queue")]).then(function (found) {
    session = found[0]; bundle = found[1]; queue = found[2] ? found[3] : found[3];
    if (!session || !bundle) {
      show([el("p", { text: "这部手机还没有准备离线使用：请在站点 Wi-Fi 下登录，点“离线使用”。" }),
            el("p", {}, [el("a", { "class": "button primary", href: "/login", text: "到站点登录" })])]);
      return;
    }
    document.getElementById("storage-note").hidden = found[2] === true;
    if (session.expired || session.expires < new Date().toISOString()) {
      var note = document.getElementById("session-note");
      note.hidden = false;
      note.textContent = "离线使用已到期：已保存的记录仍在手机上；请回站点登录后再点“离线使用”，记录会自动上传。";
    }
    route();
  });
})();
