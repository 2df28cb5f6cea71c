// The hub's only script. The Content-Security-Policy forbids inline handlers (onchange="..."), so behaviour is
// attached here: a <select data-autosubmit> submits its form when changed (the filter dropdowns).
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target.matches && target.matches("select[data-autosubmit]") && target.form) {
    target.form.submit();
  }
});

// A job's progress bar (cleaning runs, imports): an element with data-job-poll="<JSON url>" asks every second
// and fills its [data-job-bar] <progress>, [data-job-status], [data-job-step] and [data-job-count]; when the job
// has ended it opens data-job-done (the page with its result).
function pollJob(box) {
  var url = box.getAttribute("data-job-poll");
  function fill(selector, text) {
    var found = box.querySelector(selector);
    if (found) { found.textContent = text; }
  }
  function ask() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (reply) { return reply.json(); })
      .then(function (state) {
        var bar = box.querySelector("[data-job-bar]");
        if (bar && state.total) { bar.max = state.total; bar.value = state.done; }
        fill("[data-job-status]", state.status_zh);
        fill("[data-job-step]", state.step);
        fill("[data-job-count]", state.total ? state.done + " / " + state.total : "");
        if (state.ended) {
          window.location.assign(box.getAttribute("data-job-done"));
        } else {
          window.setTimeout(ask, 1000);
        }
      })
      .catch(function () { window.setTimeout(ask, 3000); });
  }
  ask();
}

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-job-poll]").forEach(pollJob);
});
