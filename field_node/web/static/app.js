/* The station app's one script: the signature pad, "everything as last month", and drafts kept on the
   node.  Written for old Android browsers (ES5, no modules, no libraries); the form works without it
   except for drawing a signature. */
(function () {
  "use strict";
  var form = document.getElementById("visit-form");
  if (!form) { return; }

  function signaturePad() {
    var canvas = document.getElementById("signature-pad");
    var field = document.getElementById("signature");
    if (!canvas || !canvas.getContext) { return; }
    var ctx = canvas.getContext("2d");
    var drawing = false, last = null;
    ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
    function point(event) {
      var rect = canvas.getBoundingClientRect();
      var source = event.touches ? event.touches[0] : event;
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
      drawing = false;
      field.value = canvas.toDataURL("image/png");
      keepDraft();
    }
    canvas.addEventListener("mousedown", start); canvas.addEventListener("mousemove", move);
    window.addEventListener("mouseup", end);
    canvas.addEventListener("touchstart", start); canvas.addEventListener("touchmove", move);
    canvas.addEventListener("touchend", end);
    document.getElementById("signature-clear").addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height); field.value = ""; keepDraft();
    });
    if (field.value) {
      var image = new Image();
      image.onload = function () { ctx.drawImage(image, 0, 0); };
      image.src = field.value;
    }
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
