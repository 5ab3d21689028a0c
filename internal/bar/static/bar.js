// bar.js: one agent's call bar. Every control reads the agent row the server last sent;
// a click sends one request and the new state arrives on the event stream.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const t = CC.t;
  let S = null;
  let X = "";
  let lastState = "";

  const onCall = (st) => st === "talking" || st === "held";
  const muted = (a) => !!(a && a.call && a.call.muted === "1");
  const pausedAnywhere = (a) => !!(a && (a.queues || []).some((q) => q.paused === "1"));

  // BUTTONS: when each control shows, when it is enabled, and what it sends. A control
  // that is not shown is also disabled, so a test or a screen reader never finds it live.
  const BUTTONS = [
    { id: "btn-hold", label: "hold", path: "extensions/hold", show: (st) => st !== "held", on: (st) => st === "talking" },
    { id: "btn-unhold", label: "unhold", path: "extensions/unhold", show: (st) => st === "held", on: () => true },
    { id: "btn-mute", label: "mute", path: "extensions/mute", show: (st, a) => !muted(a), on: onCall },
    { id: "btn-unmute", label: "unmute", path: "extensions/unmute", show: (st, a) => muted(a), on: onCall },
    { id: "btn-hangup", label: "hangup", path: "extensions/hangup", on: (st) => onCall(st) || st === "ringing" },
    { id: "btn-transfer", label: "transfer", path: "extensions/transfer", dst: true, on: onCall },
    { id: "btn-consult", label: "consult", path: "extensions/consult", dst: true, on: onCall },
    // Consult state is not on the agent row: these are on during any call, and the
    // server's sentence says when no consult is going.
    { id: "btn-consult-transfer", label: "consult_transfer", path: "extensions/consult-transfer", src: true, on: onCall },
    { id: "btn-three-way", label: "three_way", path: "extensions/three-way", src: true, on: onCall },
    { id: "btn-consult-cancel", label: "consult_cancel", path: "extensions/consult-cancel", src: true, on: onCall },
    { id: "btn-dial", label: "call", path: "extensions/click-number", dst: true,
      on: (st) => st === "idle" || st === "paused" || st === "wrapup" },
    { id: "btn-wrapup-end", label: "wrapup_end", path: "queues/wrapup-end",
      show: (st, a) => !!(a && a.wrapup), on: () => true },
    { id: "btn-unpause", label: "unpause", path: "queues/agent-pause", pause: "off",
      show: (st, a) => pausedAnywhere(a), on: () => true },
  ];

  function paramsOf(b) {
    if (b.pause) return { member: X, state: b.pause };
    if (b.dst) return { src: X, dst: $("dial-number").value.trim() };
    if (b.src) return { src: X };
    return { extension: X };
  }

  function press(b) {
    const p = paramsOf(b);
    if (b.dst && !p.dst) {
      CC.say(t("need_number"), "error", "need_number");
      $("dial-number").focus();
      return;
    }
    if (document.activeElement === $(b.id)) keepFocus(b.id);
    CC.act(b.id, t(b.label), b.path, p, render);
  }

  // A button disabled while its request runs, or hidden when the state flips (Hold gives
  // way to Unhold), drops the keyboard focus; it goes back to the button or its partner.
  const PARTNER = { "btn-hold": "btn-unhold", "btn-unhold": "btn-hold", "btn-mute": "btn-unmute",
    "btn-unmute": "btn-mute", "btn-unpause": "btn-pause", "btn-wrapup-end": "dial-number",
    "btn-hangup": "dial-number", "btn-dial": "btn-hangup" };
  let focusBack = null;

  function keepFocus(id) {
    focusBack = { ids: [id, PARTNER[id], "dial-number"].filter(Boolean), until: performance.now() + 5000 };
  }

  function restoreFocus() {
    if (!focusBack || CC.busy.has(focusBack.ids[0])) return;
    const active = document.activeElement;
    const lost = !active || active === document.body;
    if (performance.now() > focusBack.until || (!lost && !focusBack.ids.includes(active.id))) {
      focusBack = null;
      return;
    }
    if (!lost) return;
    for (const id of focusBack.ids) {
      const e = $(id);
      if (e && !e.hidden && !e.disabled) { e.focus(); return; }
    }
  }


  function renderButtons(a, st) {
    const dead = document.body.classList.contains("fatal");
    for (const b of BUTTONS) {
      const e = $(b.id);
      const shown = !b.show || b.show(st, a);
      e.hidden = !shown;
      e.disabled = dead || !shown || !a || !b.on(st, a) || CC.busy.has(b.id);
      e.setAttribute("aria-busy", CC.busy.has(b.id) ? "true" : "false");
    }
  }

  function renderChip(a, st) {
    const d = CC.stateDetail(a, st);
    const chip = $("state");
    chip.dataset.state = st;
    CC.setText($("state-label"), S.seen ? t("st_" + st) : t("connecting"));
    CC.setText($("state-reason"), st === "paused" ? CC.reasonLabel(d.reason) : "");
    CC.setText($("state-time"), CC.timerText(d));
    chip.title = d.since && st === "paused" ? t("since", { t: d.since.slice(11, 16) }) : "";
  }

  function renderCall(a) {
    const c = a && a.call;
    $("call").hidden = !c;
    if (!c) return;
    const dir = $("call-dir");
    CC.setText(dir, { in: "←", out: "→", internal: "↔" }[c.direction] || "");
    dir.title = t("dir_" + c.direction);
    dir.setAttribute("aria-label", t("dir_" + c.direction));
    CC.setText($("call-peer"), c.peer || "");
    const tags = [["call-queue", c.queue, t("call_queue", { q: c.queue })],
      ["call-called", c.called, t("via", { n: c.called })], ["call-data", c.userData, c.userData]];
    for (const [id, v, text] of tags) {
      $(id).hidden = !v;
      CC.setText($(id), v ? text : "");
    }
  }

  function queueNames(a) {
    const names = new Set(S.queues.keys());
    for (const q of (a && a.queues) || []) names.add(q.queue);
    return [...names].sort(CC.byName);
  }

  function renderQueues(a) {
    const mine = new Map(((a && a.queues) || []).map((q) => [q.queue, q]));
    CC.reconcile($("queue-list"), queueNames(a), (q) => q, (q) => {
      const b = CC.el("button", "qbtn");
      b.type = "button";
      b.dataset.queue = q;
      b.addEventListener("click", () => toggleQueue(q));
      return b;
    }, (b, q) => {
      const m = mine.get(q);
      b.setAttribute("aria-pressed", m ? "true" : "false");
      b.classList.toggle("paused", !!(m && m.paused === "1"));
      CC.setText(b, `${q} ${m ? "✓" : "–"}`);
      b.title = t(m ? "q_in" : "q_out", { q }) + (m && m.paused === "1" ? ` (${t("q_paused")})` : "");
      b.disabled = CC.busy.has("q:" + q) || document.body.classList.contains("fatal");
    });
  }

  function toggleQueue(q) {
    const a = S.agents.get(X);
    const isIn = !!(a && (a.queues || []).some((m) => m.queue === q));
    CC.act("q:" + q, `${t(isIn ? "logout" : "login")} ${q}`,
      isIn ? "queues/agent-logout" : "queues/agent-login", { extension: X, queue: q }, render);
  }

  // The pause menu is fixed inside the viewport: in a 56 px iframe a drop-down below the
  // button would be cut off, so it opens wherever it fits.
  function placeMenu() {
    const m = $("pause-menu");
    const r = $("btn-pause").getBoundingClientRect();
    const w = m.offsetWidth, h = m.offsetHeight;
    m.style.left = Math.max(2, Math.min(r.left, innerWidth - w - 2)) + "px";
    let top = r.bottom + 2;
    if (top + h > innerHeight) top = r.top - h - 2 >= 0 ? r.top - h - 2 : Math.max(0, innerHeight - h);
    m.style.top = top + "px";
  }

  function openMenu() {
    $("pause-menu").hidden = false;
    $("btn-pause").setAttribute("aria-expanded", "true");
    placeMenu();
    const first = $("pause-menu").querySelector("button");
    if (first) first.focus();
  }

  function closeMenu(refocus) {
    if ($("pause-menu").hidden) return;
    $("pause-menu").hidden = true;
    $("btn-pause").setAttribute("aria-expanded", "false");
    if (refocus) $("btn-pause").focus();
  }

  function pause(reason) {
    closeMenu(true);
    CC.act("pause", t("pause"), "queues/agent-pause", { member: X, state: "on", reason }, render);
  }

  function buildMenu() {
    for (const r of S.session.pauseReasons || []) {
      const b = CC.el("button");
      b.type = "button";
      b.dataset.reason = r;
      b.addEventListener("click", () => pause(r));
      $("reason-list").append(b);
    }
    $("btn-pause").addEventListener("click", () => ($("pause-menu").hidden ? openMenu() : closeMenu(true)));
    $("pause-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const r = $("pause-other").value.trim();
      if (r) { $("pause-other").value = ""; pause(r); }
    });
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && !$("pause-menu").hidden) { e.preventDefault(); closeMenu(true); }
    });
    document.addEventListener("click", (e) => {
      if (!e.target.closest(".pausebox")) closeMenu(false);
    });
    $("pause-menu").addEventListener("focusout", (e) => {
      if (e.relatedTarget && !e.relatedTarget.closest(".pausebox")) closeMenu(false);
    });
    addEventListener("resize", () => { if (!$("pause-menu").hidden) placeMenu(); });
  }

  function renderMenu() {
    const dead = document.body.classList.contains("fatal");
    $("btn-pause").disabled = dead || CC.busy.has("pause");
    for (const b of $("reason-list").children) {
      CC.setText(b, CC.reasonLabel(b.dataset.reason));
      b.disabled = CC.busy.has("pause");
    }
    $("btn-pause-other").disabled = CC.busy.has("pause");
  }

  // Screen pop: once per call (by linkedid), remembered across re-renders, reconnects
  // and reloads of this tab; the last 50 are kept.
  let blocked = null;

  function popped() {
    try { return JSON.parse(sessionStorage.getItem(CC.POP_KEY)) || []; } catch (_) { return []; }
  }

  function remember(id) {
    const list = popped().filter((x) => x !== id);
    list.push(id);
    try { sessionStorage.setItem(CC.POP_KEY, JSON.stringify(list.slice(-50))); } catch (_) { /* storage off */ }
  }

  function maybePop(a) {
    const c = a && a.call;
    const id = c && (c.linkedid || c.uniqueid);
    const url = c && c.direction === "in" && CC.safeUrl(c.popUrl);
    if (blocked && blocked.id !== id) blocked = null;
    if (url && !popped().includes(id)) {
      remember(id);
      let w = null;
      try { w = window.open(url, "coocenter-pop"); } catch (_) { /* blocked */ }
      if (w) { try { w.opener = null; } catch (_) { /* cross-origin */ } }
      if (window.parent !== window) window.parent.postMessage({ type: "coocenter-pop", url, call: c }, "*");
      if (!w) blocked = { id, url };
    }
    const link = $("pop-link");
    link.hidden = !blocked;
    if (blocked && link.getAttribute("href") !== blocked.url) link.href = blocked.url;
  }

  function announceChange(a, st) {
    if (st === lastState || !S.seen) return;
    lastState = st;
    const peer = a && a.call ? " " + (a.call.peer || "") : "";
    CC.announce(t("st_" + st) + peer);
  }

  function render() {
    if (!S) return;
    const a = S.agents.get(X);
    const st = CC.agentState(a);
    renderChip(a, st);
    CC.setText($("agent-ext"), X);
    CC.setText($("agent-name"), (a && a.name) || "");
    renderCall(a);
    renderButtons(a, st);
    renderQueues(a);
    renderMenu();
    maybePop(a);
    announceChange(a, st);
    restoreFocus();
    const title = S.seen ? `${t("st_" + st)} · ${X}` : t("title_bar");
    if (document.title !== title) document.title = title;
  }

  function start(state) {
    S = state;
    X = state.session.extension || "";
    buildMenu();
    for (const b of BUTTONS) {
      if (b.id !== "btn-dial") $(b.id).addEventListener("click", () => press(b));
    }
    $("dial-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const b = BUTTONS.find((x) => x.id === "btn-dial");
      if (!$("btn-dial").disabled) press(b);
    });
    render();
    return render;
  }

  CC.setupLang("bar", render);
  CC.boot("bar", start);
})();
