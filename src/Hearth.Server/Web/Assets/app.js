// Hearth web UI: live logs (Server-Sent Events from the API), ANSI colours, follow, pause, download, and the run's
// state kept current. Hand-written, no dependencies; served by the server (no CDN). Text goes in with textContent only.
(function () {
  "use strict";

  var TERMINAL = ["SUCCEEDED", "FAILED", "STOPPED", "TIMED_OUT"];

  // ---- ANSI SGR -> spans --------------------------------------------------------------------------------------
  var PALETTE = ["#000000", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
    "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff"];

  function color256(n) {
    if (n < 16) return PALETTE[n];
    if (n < 232) {
      n -= 16;
      var levels = [0, 95, 135, 175, 215, 255];
      return "rgb(" + levels[Math.floor(n / 36)] + "," + levels[Math.floor(n / 6) % 6] + "," + levels[n % 6] + ")";
    }
    var g = 8 + (n - 232) * 10;
    return "rgb(" + g + "," + g + "," + g + ")";
  }

  function applySgr(state, codes) {
    for (var i = 0; i < codes.length; i++) {
      var c = codes[i];
      if (c === 0) { state.fg = null; state.bg = null; state.bold = state.dim = state.italic = state.underline = false; }
      else if (c === 1) state.bold = true;
      else if (c === 2) state.dim = true;
      else if (c === 3) state.italic = true;
      else if (c === 4) state.underline = true;
      else if (c === 22) state.bold = state.dim = false;
      else if (c === 23) state.italic = false;
      else if (c === 24) state.underline = false;
      else if (c >= 30 && c <= 37) state.fg = PALETTE[c - 30];
      else if (c >= 90 && c <= 97) state.fg = PALETTE[c - 90 + 8];
      else if (c === 39) state.fg = null;
      else if (c >= 40 && c <= 47) state.bg = PALETTE[c - 40];
      else if (c >= 100 && c <= 107) state.bg = PALETTE[c - 100 + 8];
      else if (c === 49) state.bg = null;
      else if ((c === 38 || c === 48) && codes[i + 1] === 5 && i + 2 < codes.length) {
        state[c === 38 ? "fg" : "bg"] = color256(codes[i + 2] & 255); i += 2;
      } else if ((c === 38 || c === 48) && codes[i + 1] === 2 && i + 4 < codes.length) {
        state[c === 38 ? "fg" : "bg"] = "rgb(" + codes[i + 2] + "," + codes[i + 3] + "," + codes[i + 4] + ")"; i += 4;
      }
    }
  }

  // eslint-disable-next-line no-control-regex
  var ESCAPES = /\x1b\[([0-9;]*)([A-Za-z])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Za-z0-9]|\x1b./g;

  function renderAnsi(target, text, state) {
    var last = 0, match;
    ESCAPES.lastIndex = 0;
    while ((match = ESCAPES.exec(text)) !== null) {
      if (match.index > last) target.appendChild(span(text.slice(last, match.index), state));
      if (match[2] === "m") applySgr(state, (match[1] || "0").split(";").map(function (s) { return s === "" ? 0 : parseInt(s, 10); }));
      last = ESCAPES.lastIndex;
    }
    if (last < text.length) target.appendChild(span(text.slice(last), state));
  }

  function span(text, state) {
    if (!state.fg && !state.bg && !state.bold && !state.dim && !state.italic && !state.underline) return document.createTextNode(text);
    var s = document.createElement("span");
    s.textContent = text;
    // CSSOM, not a style attribute: allowed under the pages' Content-Security-Policy.
    if (state.fg) s.style.color = state.fg;
    if (state.bg) s.style.backgroundColor = state.bg;
    if (state.bold) s.style.fontWeight = "bold";
    if (state.dim) s.style.opacity = "0.7";
    if (state.italic) s.style.fontStyle = "italic";
    if (state.underline) s.style.textDecoration = "underline";
    return s;
  }

  function stripAnsi(text) { return text.replace(ESCAPES, ""); }

  // ---- the run's state ----------------------------------------------------------------------------------------
  function setState(name, exitCode) {
    var holder = document.getElementById("run-state");
    if (holder) {
      var badge = holder.querySelector(".badge");
      if (badge && badge.getAttribute("data-state") !== name) {
        badge.textContent = name;
        badge.setAttribute("data-state", name);
        badge.className = "badge s-" + name.toLowerCase();
      }
    }
    if (exitCode !== undefined && exitCode !== null) {
      var exit = document.getElementById("run-exit");
      if (exit) exit.textContent = String(exitCode);
    }
    if (TERMINAL.indexOf(name) >= 0) {
      var kill = document.getElementById("kill");
      if (kill) kill.remove();
      var run = document.getElementById("run");
      if (run) run.setAttribute("data-live", "false");
    }
  }

  function pollState(runId) {
    var run = document.getElementById("run");
    if (!run || run.getAttribute("data-live") !== "true") return;
    fetch("/api/v1/runs/" + encodeURIComponent(runId), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (view) { if (view) setState(view.status, view.exit_code); })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { setTimeout(function () { pollState(runId); }, 2000); });
  }

  // ---- the log ------------------------------------------------------------------------------------------------
  function two(n) { return (n < 10 ? "0" : "") + n; }

  function clock(iso) {
    var d = new Date(iso);
    return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds()) + "." + String(d.getMilliseconds()).padStart(3, "0");
  }

  function startLog(log) {
    var runId = document.getElementById("run").getAttribute("data-run");
    var status = document.getElementById("log-status");
    var follow = document.getElementById("log-follow");
    var pauseButton = document.getElementById("log-pause");
    var lines = [], pending = [], paused = false, ended = false, scheduled = false;
    var ansi = {};

    function say(text) { status.textContent = text; }

    function row(line) {
      var div = document.createElement("div");
      div.className = "l" + (line.stream === "stderr" ? " err" : "") + (line.stream === "system" ? " sys" : "");
      div.setAttribute("data-seq", String(line.seq));
      var n = document.createElement("span"); n.className = "n"; n.textContent = String(line.seq + 1);
      var t = document.createElement("span"); t.className = "t"; t.textContent = clock(line.time); t.title = line.time;
      div.appendChild(n); div.appendChild(t);
      if (line.step) { var s = document.createElement("span"); s.className = "st"; s.textContent = line.step; div.appendChild(s); }
      var x = document.createElement("span"); x.className = "x";
      var key = line.step || "";
      renderAnsi(x, line.text, ansi[key] || (ansi[key] = {}));
      div.appendChild(x);
      return div;
    }

    function flush() {
      scheduled = false;
      if (paused || pending.length === 0) return;
      var fragment = document.createDocumentFragment();
      for (var i = 0; i < pending.length; i++) fragment.appendChild(row(pending[i]));
      pending = [];
      log.appendChild(fragment);
      if (follow.checked) log.scrollTop = log.scrollHeight;
      if (!ended) say(lines.length + " lines · live");
    }

    function schedule() { if (!scheduled) { scheduled = true; requestAnimationFrame(flush); } }

    var source = new EventSource(log.getAttribute("data-src"));
    source.addEventListener("open", function () { if (!ended) say(lines.length + " lines · live"); });
    source.addEventListener("line", function (e) {
      var line = JSON.parse(e.data);
      lines.push(line); pending.push(line);
      if (paused) say("Paused · " + pending.length + " new lines waiting"); else schedule();
    });
    source.addEventListener("end", function (e) {
      var end = JSON.parse(e.data);
      ended = true;
      source.close();
      flush();
      setState(end.status, end.exit_code);
      log.setAttribute("data-ended", end.status);
      say(lines.length + " lines · ended: " + end.status + (end.exit_code !== undefined && end.exit_code !== null ? " (exit " + end.exit_code + ")" : "")
        + (end.reason ? " · " + end.reason : ""));
    });
    source.addEventListener("error", function () { if (!ended) say("Connection lost · reconnecting…"); });

    pauseButton.addEventListener("click", function () {
      paused = !paused;
      pauseButton.setAttribute("aria-pressed", paused ? "true" : "false");
      pauseButton.textContent = paused ? "Resume" : "Pause";
      if (paused) say("Paused"); else flush();
    });
    document.getElementById("log-numbers").addEventListener("change", function (e) { log.classList.toggle("show-numbers", e.target.checked); });
    document.getElementById("log-times").addEventListener("change", function (e) { log.classList.toggle("show-times", e.target.checked); });
    follow.addEventListener("change", function () { if (follow.checked) log.scrollTop = log.scrollHeight; });
    document.getElementById("log-download").addEventListener("click", function () {
      var text = lines.map(function (l) { return (l.step ? "[" + l.step + "] " : "") + stripAnsi(l.text); }).join("\n") + (lines.length ? "\n" : "");
      var url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
      var a = document.createElement("a");
      a.href = url; a.download = runId + ".log";
      document.body.appendChild(a); a.click(); a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var log = document.getElementById("log");
    if (log) startLog(log);
    var run = document.getElementById("run");
    if (run && run.getAttribute("data-live") === "true") setTimeout(function () { pollState(run.getAttribute("data-run")); }, 2000);
  });
})();
