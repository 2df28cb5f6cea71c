/* The offline app (issue 14): the month's coverage of the grid member's own villages, search, the visit form with
   its entry checks, drafts and the signature pad, all from the phone's IndexedDB (station.js keeps it).  A saved
   visit is queued on the phone with an id made here; station.js uploads it and the station stores it once, checks
   it again exactly as at the station, signs it and syncs it to the hub. */
(function () {
  "use strict";
  var F = window.FieldsyncStore, P = window.FieldsyncPhone;
  var view = document.getElementById("view");
  var SOURCES = [["wage", "工资性收入"], ["business", "生产经营收入"], ["property", "财产性收入"],
                 ["transfer", "转移性收入"], ["expenses", "生产经营支出"]];
  var METHODS = [["in_person", "入户"], ["phone", "电话"], ["wechat", "微信"]];
  var PLACES = [["county", "县内"], ["province", "省内县外"], ["outside", "省外"]];
  var ACKS = [["confirmed", "户主认可"], ["disputed", "户主不认可"], ["not_reached", "未能当面确认"]];
  var RISKS = [["illness", "疾病"], ["disability", "残疾"], ["schooling", "上学"], ["disaster", "自然灾害"],
               ["accident", "意外事故"], ["unstable_work", "务工不稳定"]];
  var STATUS = { visited: "已入户", contacted: "已电话/微信", not_yet: "未走访" };
  var CHANGES = [["birth", "出生"], ["death", "死亡"], ["moved_in", "迁入"], ["moved_out", "迁出"], ["new_member", "新增成员"]];
  var CHANGE_ROWS = 3, NEEDS_NAME = ["birth", "new_member", "moved_in", "death", "moved_out"];
  var VISIT_STATES = { phone: "已保存在手机", station: "已交站点", hub: "县里已收", rejected: "县里退回",
                       refused: "站点退回，需修改", corrected: "已被更正" };
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
      var text = search.value.trim().toLowerCase(), sound = P.spelled(text);  // 周兰平 finds 周兰萍
      list.textContent = "";
      var shown = bundle.households.filter(function (h) {
        if (!text) { return true; }
        var names = h.members.map(function (m) { return m.name; }).join(" ");
        var haystack = (h.number + " " + h.head + " " + names + " " + h.keys).toLowerCase();
        return haystack.indexOf(text) >= 0 || (sound !== null && haystack.indexOf(sound) >= 0);
      });
      shown.forEach(function (h) {
        var mine = onPhoneThisMonth(h.number);
        var state = mine.length ? F.labels[mine[mine.length - 1].state] : STATUS[h.status];
        list.appendChild(el("div", { "class": "row-wrap" }, [
          el("button", { type: "button", "class": "row household-row", "data-number": h.number,
                         onclick: function () { location.hash = "#/v/" + h.number; } }, [
            el("span", { "class": "name", text: h.head || "（未列户主）" }),
            el("span", { "class": "muted small", text: h.number + " · " + h.village }), " ",
            el("span", { "class": "status", text: state })]),
          el("a", { "class": "household-link", href: "#/h/" + h.number, "data-number": h.number, text: "户况" })]));
      });
      if (!shown.length) { list.appendChild(el("p", { "class": "muted", text: "没有符合的户。" })); }
    }
    search.addEventListener("input", fill);
    fill();
    P.loadReadings();
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

  function methodName(key) { return (METHODS.filter(function (m) { return m[0] === key; })[0] || [key, key])[1]; }

  /* The visits of a household the phone knows, newest first: the station's last ones (from the bundle, with the
     values a correction starts from) and the phone's own not yet in the bundle; one the station holds, of this
     month or the last and not corrected yet, may be corrected. */
  function knownVisits(h) {
    var mine = queue.filter(function (v) { return v.household === h.number; }), listed = {};
    var correctedSeqs = mine.map(function (v) { return v.correct; });
    var rows = (h.visits || []).map(function (v) {
      listed[v.seq] = true;
      return { seq: v.seq, month: v.month, date: v.date, method: v.method, net: v.net, state: v.state,
               values: v.values, at: v.date, correctable: !!v.values && correctedSeqs.indexOf(v.seq) < 0 };
    });
    var correctable = [bundle.month, previousMonth(bundle.month)];
    mine.filter(function (v) { return !v.seq || !listed[v.seq]; }).forEach(function (v) {
      rows.push({ id: v.id, seq: v.seq, month: v.month, date: (v.fields.date || [""])[0],
                  method: (v.fields.method || [""])[0], state: v.state, values: explicit(v.fields, h), at: v.saved_at,
                  correctable: !!v.seq && (v.state === "station" || v.state === "hub") &&
                               correctable.indexOf(v.month) >= 0 && correctedSeqs.indexOf(v.seq) < 0 });
    });
    return rows.sort(function (a, b) { return a.month === b.month ? (a.at < b.at ? 1 : -1) : (a.month < b.month ? 1 : -1); });
  }

  /* A phone visit's fields with 各项与上次走访相同 spelled out per item, as the station saved it. */
  function explicit(fields, h) {
    var out = {};
    Object.keys(fields).forEach(function (k) { out[k] = fields[k]; });
    if (out.all_unchanged && h.last) {
      delete out.all_unchanged;
      SOURCES.forEach(function (s) { out["income_" + s[0]] = [String(h.last.income[s[0]])]; });
      out.unchanged_employment = ["1"];
    }
    return out;
  }

  function previousMonth(month) {
    var year = parseInt(month.slice(0, 4), 10), number = parseInt(month.slice(5), 10) - 1;
    if (number === 0) { year -= 1; number = 12; }
    return year + "-" + ("0" + number).slice(-2);
  }

  /* 户况: members (name, relation, gender, age — never a birth date, and no part of an ID number: the station holds
     none), the last visits and where each is, and links to visit or correct. */
  function householdView(number) {
    var h = household(number);
    if (!h) { show([el("p", { "class": "error", text: "手机上没有这户（可能不在您负责的村）。" })]); return; }
    show([el("h1", { text: (h.head || "（未列户主）") + " · 户况" }),
          el("p", { "class": "muted", text: h.number + " · " + h.village }),
          el("p", {}, [el("a", { "class": "button primary", href: "#/v/" + h.number, id: "visit-this-month",
                                 text: "记录本月走访" })]),
          el("h2", { text: "家庭成员" }),
          el("table", { "class": "members", id: "household-members" }, [el("tr", {}, ["姓名", "关系", "性别", "年龄", "劳动能力"].map(function (t) {
            return el("th", { text: t }); }))].concat(h.members.map(function (m) {
            return el("tr", { "class": m.status === "正常" ? null : "muted" }, [m.name + (m.status === "正常" ? "" : "（" + m.status + "）"),
              m.relation, m.gender || "", m.age === null ? "" : m.age + "岁", m.labour].map(function (t) { return el("td", { text: t }); }));
          }))),
          el("h2", { text: "最近走访" }),
          el("ul", { "class": "records", id: "household-visits" }, knownVisits(h).map(function (v) {
            return el("li", {}, [el("span", { text: v.month + " · " + v.date + " · " + methodName(v.method) +
                                              (v.net === undefined ? "" : " · 纯收入 " + v.net + " 元") }), " ",
              el("b", { "class": "state-" + v.state, text: VISIT_STATES[v.state] || v.state }), " ",
              v.correctable ? el("a", { "class": "button small correct-link", href: "#/c/" + h.number + "/" + v.seq,
                                        text: "更正" }) : null]);
          }).concat(knownVisits(h).length ? [] : [el("li", { "class": "muted", text: "还没有走访记录。" })]))]);
  }

  /* What a correction starts from: the corrected visit's values (its signature is drawn anew). */
  function correctionOf(h, seq) {
    var found = knownVisits(h).filter(function (v) { return String(v.seq) === String(seq) && v.correctable; })[0];
    if (!found) { return null; }
    var values = {};
    Object.keys(found.values).forEach(function (k) { if (k !== "signature" && k.indexOf("confirm_") !== 0 && k.indexOf("reason_") !== 0) { values[k] = found.values[k]; } });
    return { seq: found.seq, month: found.month, fields: values };
  }

  function formView(number, editing, correcting) {
    var h = household(number);
    if (!h) { show([el("p", { "class": "error", text: "手机上没有这户（可能不在您负责的村）。" })]); return; }
    if (editing && editing.correct) { correcting = { seq: editing.correct, month: editing.month }; }
    var start = editing ? Promise.resolve({ fields: editing.fields }) :
      correcting ? Promise.resolve({ fields: correcting.fields, correction: true }) : F.store.get("drafts", number);
    start.then(function (draft) { renderForm(h, editing, draft, correcting); });
  }

  function thisMonthsVisit(h) {
    return knownVisits(h).filter(function (v) { return v.month === bundle.month && v.correctable; })[0];
  }

  function changeRows(values) {
    var rows = [];
    for (var i = 0; i < CHANGE_ROWS; i++) {
      var p = "change_" + i + "_", sealed = values[p + "id_sealed"];
      rows.push(el("div", { "class": "change" }, [
        el("label", {}, ["变动", el("select", { name: p + "type" }, [["", "—"]].concat(bundle.change_types || CHANGES).map(function (c) {
          return el("option", { value: c[0], selected: values[p + "type"] === c[0], text: c[1] }); }))]),
        el("span", { "class": "field-error", id: "error-" + p + "type" }),
        input("姓名", p + "name", values, { maxlength: "50" }), el("span", { "class": "field-error", id: "error-" + p + "name" }),
        input("身份证号码", p + "id_number", {}, { maxlength: "18", autocomplete: "off",
          placeholder: sealed ? "已加密保存；要改才重新输入" : "可不填，回站点再补" }),
        sealed ? el("input", { type: "hidden", name: p + "id_sealed", value: sealed }) : null,
        el("span", { "class": "field-error", id: "error-" + p + "id_number" }),
        input("日期", p + "date", values, { type: "date" }), el("span", { "class": "field-error", id: "error-" + p + "date" })]));
    }
    var open = rows.length && Object.keys(values).some(function (k) { return k.indexOf("change_") === 0 && values[k]; });
    return el("details", { id: "family-changes", open: open }, [el("summary", { text: "家庭成员变动（出生、死亡、迁入迁出、新增）" })].concat(rows,
      [el("p", { "class": "muted small", text: "身份证号码在手机上只保存加密后的内容，只有县里能打开。" })]));
  }

  function valuesOf(fields) {
    var values = {};
    Object.keys(fields || {}).forEach(function (k) { values[k] = fields[k][0]; values["list:" + k] = fields[k]; });
    return values;
  }

  function renderForm(h, editing, draft, correcting) {
    var head = h.head, values = valuesOf(draft && draft.fields);
    if (!draft) { values.date = today(); values.ack_by = head; }
    var last = h.last, form = el("form", { id: "offline-visit-form", "class": "stack", novalidate: true });
    var month = correcting ? correcting.month : bundle.month;
    var nodes = [el("h1", { text: (correcting ? "更正 " + month + " 的走访" : (editing ? "修改 " : "") + month + " 走访") }),
                 el("p", { "class": "muted" }, [(head || "（未列户主）") + " · " + h.number + " · " + h.village + " ",
                   el("a", { href: "#/h/" + h.number, "class": "small", text: "户况" })])];
    if (draft && !editing && !correcting) { nodes.push(el("p", { "class": "notice", text: "已恢复上次填写的草稿（" + localTime(draft.at) + "）。" })); }
    if (editing && editing.problems) {
      nodes.push(el("p", { "class": "error", id: "refusal", text: "站点退回了这条走访：请按下面红字修改，或在黄色框里确认情况属实并写明原因，" +
        "再点“保存在手机”，连上站点后会重新上传。" }));
    }
    if (correcting) {
      nodes.push(el("p", { "class": "notice", id: "correction-notice", text: "更正会替换原来的记录：入户走访需要农户重新签名，" +
        "并在下面写明为什么更正。" }));
    }
    var earlier = onPhoneThisMonth(h.number).filter(function (v) { return !editing || v.id !== editing.id; });
    var existing = thisMonthsVisit(h);
    if (!correcting && (h.status !== "not_yet" || earlier.length)) {
      nodes.push(el("p", { "class": "notice", id: "second-visit" }, ["这户本月已有走访记录。如果是改正那次记录，请点“更正”；确实是再次走访才继续填写。",
        existing ? el("a", { "class": "button small", id: "correct-instead", href: "#/c/" + h.number + "/" + existing.seq, text: "更正本月的记录" }) : null]));
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
    form.appendChild(changeRows(values));
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
    if (correcting) {
      form.appendChild(input("为什么更正？", "correction_reason", values, { maxlength: "200", id: "correction-reason" }));
      form.appendChild(el("span", { "class": "field-error", id: "error-correction_reason" }));
    }
    form.appendChild(el("label", {}, ["备注", el("textarea", { name: "note", maxlength: "500", rows: "2", text: values.note || "" })]));
    form.appendChild(el("span", { "class": "field-error", id: "error-note" }));
    form.appendChild(el("div", { id: "warnings" }));
    form.appendChild(el("p", { "class": "error", id: "form-error", role: "alert" }));
    form.appendChild(el("button", { type: "submit", "class": "primary big", id: "save", text: "保存在手机" }));
    form.appendChild(el("p", { "class": "muted small", text: "保存后记录在手机上排队，连上站点后自动上传，由站点签名后同步到县里。" }));
    nodes.push(form);
    show(nodes);
    var keep = function () { keepDraft(h, form, editing || correcting); };
    window.FieldsyncSignaturePad(pad, signature, keep);
    var all = document.getElementById("all-unchanged");
    function carried() {
      var place = document.getElementById("carried-place");
      if (place) { place.textContent = ""; if (all.checked) { place.appendChild(carriedSummary(h)); } }
      document.getElementById("work").hidden = !!(all && all.checked);
    }
    if (all) { all.addEventListener("change", carried); carried(); }
    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
    form.addEventListener("submit", function (event) { event.preventDefault(); save(h, form, editing, correcting); });
    if (editing && editing.problems) {
      showProblems(form, { errors: editing.problems.errors || {}, warnings: editing.problems.warnings || {} });
    }
  }

  function fieldsOf(form) {
    var fields = {};
    new FormData(form).forEach(function (value, key) { (fields[key] = fields[key] || []).push(String(value)); });
    return fields;
  }

  var draftTimer = null;
  /* The form as typed so far, kept on the phone; a typed ID number never is (it is kept only sealed, at save). */
  function keepDraft(h, form, editing) {
    if (editing) { return; }
    clearTimeout(draftTimer);
    draftTimer = setTimeout(function () {
      var fields = fieldsOf(form);
      Object.keys(fields).forEach(function (k) { if (/_id_number$/.test(k)) { delete fields[k]; } });
      F.store.put("drafts", { household: h.number, fields: fields, at: new Date().toISOString() });
    }, 500);
  }

  function whole(text) {
    var clean = String(text || "").replace(/[,，\s]/g, "");
    return /^\d+$/.test(clean) ? parseInt(clean, 10) : null;
  }

  /* The station's entry checks (field_node/web/visit_form.py), made on the phone; the station makes them again. */
  function check(h, f, editing, correcting) {
    var editingId = editing && editing.id, month = correcting ? correcting.month : bundle.month;
    var errors = {}, warnings = {}, one = function (k) { return (f[k] || [""])[0]; };
    var last = h.last, all = !!one("all_unchanged"), income = {};
    if (!one("method")) { errors.method = "请选择走访方式。"; }
    ["note", "correction_reason"].forEach(function (k) {  /* no ID or mobile number in free text (shared/free_text.py) */
      var found = P.textProblem(one(k));
      if (found) { errors[k] = found; }
    });
    var day = one("date");
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) { errors.date = "请填写走访日期（年-月-日）。"; }
    else if (day > today()) { errors.date = "日期在今天之后，请核对日期（和手机的时间）。"; }
    else if (day.slice(0, 7) < month) { errors.date = "走访日期不能早于所报月份。"; }
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
    checkChanges(one, errors);
    if (correcting && !one("correction_reason").trim()) { errors.correction_reason = "请写明为什么更正这次走访。"; }
    var ack = one("ack_status");
    if (!ack) { errors.ack_status = "请记录农户是否认可。"; }
    else if (ack !== "not_reached") {
      if (!one("ack_by").trim()) { errors.ack_by = "由谁确认？"; }
      if (one("method") === "in_person" && one("signature").indexOf("data:image/png;base64,") !== 0) {
        errors.signature = "入户走访需要农户在屏幕上签名。";
      }
    }
    if (Object.keys(errors).length) { return { errors: errors, warnings: warnings }; }
    var base = P.incomeBaseline(h, month, correcting);
    if (base) {
      var before = base.net, now = income.wage + income.business + income.property + income.transfer - income.expenses;
      if (before > 0 && now < before * (1 - DROP_SHARE)) {
        warnings.income_drop = "本月纯收入（" + now + " 元）比" + lastLabelOf(base) + "（" + before + " 元）低 " +
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
    if (!correcting && (h.status !== "not_yet" ||
        onPhoneThisMonth(h.number).filter(function (v) { return v.id !== editingId; }).length)) {
      warnings.second_visit = "这户本月已有走访记录：如果是改正那次记录，请点上面的“更正本月的记录”；确属再次走访，请勾选并写明原因。";
    }
    var returned = (editing && editing.problems && editing.problems.warnings) || {};
    Object.keys(returned).forEach(function (code) { warnings[code] = warnings[code] || returned[code]; });
    Object.keys(warnings).forEach(function (code) {
      if (one("confirm_" + code) && one("reason_" + code).trim()) { delete warnings[code]; }
    });
    return { errors: errors, warnings: warnings };
  }

  /* Family changes, checked as the station checks them (field_node/web/visit_form.py _changes). */
  function checkChanges(one, errors) {
    for (var i = 0; i < CHANGE_ROWS; i++) {
      var p = "change_" + i + "_", kind = one(p + "type");
      if (!kind) { continue; }
      if (NEEDS_NAME.indexOf(kind) >= 0 && !one(p + "name").trim()) { errors[p + "name"] = "请填写这个人的姓名。"; }
      var number = P.normaliseId(one(p + "id_number")), found = number && P.idProblem(number);
      if (found) { errors[p + "id_number"] = "这个身份证号码不对：" + found + "请对照身份证或户口本核对。"; }
      var when = one(p + "date");
      if (when && !/^\d{4}-\d{2}-\d{2}$/.test(when)) { errors[p + "date"] = "请填写日期（年-月-日）。"; }
      else if (when && when > today()) { errors[p + "date"] = "日期在今天之后。"; }
    }
  }

  /* Every typed ID number replaced by its sealed text (only the hub opens it): the phone never keeps it readable.
     A browser that cannot seal refuses the number, and the change is recorded without it. */
  function sealNumbers(fields) {
    var typed = Object.keys(fields).filter(function (k) { return /^change_\d+_id_number$/.test(k) && P.normaliseId(fields[k][0]); });
    if (!typed.length) { return Promise.resolve({ fields: fields, errors: {} }); }
    return P.canSeal().then(function (can) {
      if (!can || !bundle.seal_key) {
        var errors = {};
        typed.forEach(function (k) { errors[k] = "这个浏览器不能在手机上加密身份证号码：请先不填号码（回站点再补），或换用最新版 Chrome。"; });
        return { fields: fields, errors: errors };
      }
      return Promise.all(typed.map(function (k) {
        return P.seal(bundle.seal_key, P.normaliseId(fields[k][0])).then(function (sealed) {
          fields[k.replace(/_id_number$/, "_id_sealed")] = [sealed];
          delete fields[k];
        });
      })).then(function () { return { fields: fields, errors: {} }; });
    });
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

  function refuse(form, found) {
    showProblems(form, found);
    if (Object.keys(found.errors).length || Object.keys(found.warnings).length) {
      var first = form.querySelector(".field-error:not(:empty), .warning");
      if (first) { first.scrollIntoView(); }
      return true;
    }
    return false;
  }

  function save(h, form, editing, correcting) {
    if (session && (session.expired || session.expires < new Date().toISOString())) {
      document.getElementById("form-error").textContent = "离线使用已到期：请回站点登录后再点“离线使用”。";
      return;
    }
    var typed = fieldsOf(form);
    if (refuse(form, check(h, typed, editing, correcting))) { return; }
    sealNumbers(typed).then(function (sealed) {
      if (refuse(form, { errors: sealed.errors, warnings: {} })) { return null; }
      var visit = { id: editing ? editing.id : F.newId(), household: h.number,
                    month: correcting ? correcting.month : bundle.month, fields: sealed.fields,
                    saved_at: new Date().toISOString(), state: "phone" };
      if (correcting) { visit.correct = correcting.seq; }
      form.reset();  // the typed number leaves the page too
      clearTimeout(draftTimer);
      return F.store.put("queue", visit).then(function () {
        return correcting ? null : F.store.remove("drafts", h.number);
      }).then(function () {
        location.hash = "#/saved/" + visit.id;
        F.showCount().then(F.flush);
      });
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
    if (parts[0] === "v" && parts[1]) { formView(decodeURIComponent(parts[1]), null, null); }
    else if (parts[0] === "h" && parts[1]) { householdView(decodeURIComponent(parts[1])); }
    else if (parts[0] === "c" && parts[1] && parts[2]) {
      var target = household(decodeURIComponent(parts[1])), correcting = target && correctionOf(target, parts[2]);
      if (correcting) { formView(target.number, null, correcting); } else { location.hash = "#/h/" + parts[1]; }
    }
    else if (parts[0] === "e" && parts[1]) {
      var editing = queue.filter(function (v) { return v.id === parts[1]; })[0];
      if (editing) { formView(editing.household, editing, null); } else { location.hash = "#/queue"; }
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
    F.store.get("meta", "bundle").then(function (fresh) {  // a flush may have brought the month's list again
      if (!bundle || !fresh) { return; }
      bundle = fresh;
      var hash = location.hash || "#/";
      if (/^#\/(queue|saved|h\/)/.test(hash)) { route(); }
    });
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
