/* The station app's one script: the signature pad, "everything as last month", and drafts kept on the
   node.  Written for old Android browsers (ES5, no modules, no libraries); the form works without it
   except for drawing a signature. */
(function () {
  "use strict";
  var form = document.getElementById("visit-form");
  if (!form) { return; }

  function signaturePad() {  /* the pad itself is station.js's, shared with the offline app */
    var canvas = document.getElementById("signature-pad");
    var field = document.getElementById("signature");
    if (!canvas || !canvas.getContext || !window.FieldsyncSignaturePad) { return; }
    window.FieldsyncSignaturePad(canvas, field, keepDraft);
  }

  function everythingAsLastMonth() {
    var box = document.getElementById("all-unchanged");
    if (!box) { return; }
    box.addEventListener("change", function () {
      var inputs = form.querySelectorAll("input[data-last]");
      for (var i = 0; i < inputs.length; i++) {
        if (box.checked && inputs[i].value === "") { inputs[i].value = inputs[i].getAttribute("data-last"); }
      }
    });
  }

  var timer = null;
  function keepDraft() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(sendDraft, 1500);
  }
  function sendDraft() {
    timer = null;
    var request = new XMLHttpRequest();
    request.open("POST", form.getAttribute("data-draft-url"));
    request.send(new FormData(form));
  }

  signaturePad();
  everythingAsLastMonth();
  form.addEventListener("input", keepDraft);
  form.addEventListener("change", keepDraft);
  form.addEventListener("submit", function () { if (timer) { clearTimeout(timer); timer = null; } });
})();
