// The hub's only script. The Content-Security-Policy forbids inline handlers (onchange="..."), so behaviour is
// attached here: a <select data-autosubmit> submits its form when changed (the filter dropdowns).
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target.matches && target.matches("select[data-autosubmit]") && target.form) {
    target.form.submit();
  }
});
