// wall.js: the supervisors' wall. One card per queue, the longest wait first; each card
// holds its waiting callers and its agents, with listen/whisper/barge/hang up on a call.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const t = CC.t;
  let S = null;
  let ME = "";
  const levels = new Map();

  const ACTIONS = ["listen", "whisper", "barge", "hangup"];

  const slaOf = (q) => Number(q.sla) || Number(S.session.sla) || 20;

  function longestWait(q) {
    const waits = (q.waiting || []).map((w) => CC.elapsed(w.since)).filter(Number.isFinite);
    return waits.length ? Math.max(...waits) : 0;
  }

  // A queue is amber once its longest wait is past the SLA threshold, red past twice it.
  function levelOf(q, wait) {
    const s = slaOf(q) * 1000;
    if (wait > 2 * s) return "alert";
    return wait > s ? "warn" : "ok";
  }

  function makeQueue() {
    const sec = CC.el("section", "queue");
    sec.innerHTML = `<div class="qhead"><h2 class="qname"></h2><div class="kpis">
      <span class="kpi k-wait"><span class="kl"></span><b class="kv"></b></span>
      <span class="kpi k-long"><span class="kl"></span><b class="kv timer"></b></span>
      <span class="kpi k-sla"><span class="slabar" aria-hidden="true"><i></i></span><b class="kv"></b></span>
      <span class="kpi k-ans"><span class="kl"></span><b class="kv"></b></span>
      <span class="kpi k-ab"><span class="kl"></span><b class="kv"></b></span>
      </div></div><ul class="waiting"></ul><ul class="agents"></ul>`;
    return sec;
  }

  function kpi(sec, cls, label, value) {
    const k = sec.querySelector("." + cls);
    if (label !== null) CC.setText(k.querySelector(".kl"), label);
    CC.setText(k.querySelector(".kv"), String(value));
  }

  function updateQueue(sec, { q, wait }) {
    const today = q.today || {};
    const level = levelOf(q, wait);
    sec.dataset.queue = q.queue;
    sec.dataset.level = level;
    sec.setAttribute("aria-label", q.queue);
    CC.setText(sec.querySelector(".qname"), q.queue);
    kpi(sec, "k-wait", t("waiting"), (q.waiting || []).length);
    kpi(sec, "k-long", t("longest"), CC.fmtDur(wait));
    // slaPercent is null while nothing was offered today: no share to show.
    const pct = today.slaPercent == null || !Number.isFinite(Number(today.slaPercent)) ? null : Math.round(today.slaPercent);
    kpi(sec, "k-sla", null, pct === null ? t("sla_none", { s: slaOf(q) }) : t("sla", { s: slaOf(q), p: pct }));
    sec.querySelector(".slabar i").style.width = (pct || 0) + "%";
    kpi(sec, "k-ans", t("answered"), today.answered ?? 0);
    kpi(sec, "k-ab", t("abandoned"), today.abandoned ?? 0);
    renderWaiting(sec.querySelector(".waiting"), q);
    renderAgents(sec.querySelector(".agents"), agentsOf(q.queue), q.queue);
    if (levels.has(q.queue) && levels.get(q.queue) !== level && level !== "ok") {
      CC.announce(`${q.queue}: ${t("longest")} ${CC.fmtDur(wait)}`);
    }
    levels.set(q.queue, level);
  }

  function renderWaiting(ul, q) {
    ul.dataset.empty = t("no_waiting");
    const list = [...(q.waiting || [])].sort((a, b) => (a.position || 0) - (b.position || 0));
    CC.reconcile(ul, list, (w) => w.uniqueid || w.number, () => {
      const li = CC.el("li", "waiting-caller");
      li.append(CC.el("span", "num"), CC.el("span", "timer"));
      return li;
    }, (li, w) => {
      li.dataset.number = w.number || "";
      li.title = w.name || "";
      CC.setText(li.firstChild, w.number || w.name || "?");
      CC.setText(li.lastChild, CC.fmtDur(CC.elapsed(w.since)));
    });
  }

  function agentsOf(queue) {
    return [...S.agents.values()]
      .filter((a) => (a.queues || []).some((m) => m.queue === queue))
      .sort((a, b) => CC.byName(a.extension, b.extension));
  }

  function makeAgent() {
    const li = CC.el("li", "agent");
    li.append(CC.el("span", "dot"), CC.el("b", "ext"), CC.el("span", "name"),
      CC.el("span", "st"), CC.el("span", "timer"));
    const acts = CC.el("span", "actions");
    acts.setAttribute("role", "group");
    for (const action of ACTIONS) {
      const b = CC.el("button", action === "hangup" ? "danger" : "");
      b.type = "button";
      b.dataset.action = action;
      b.addEventListener("click", () => act(li.dataset.extension, action));
      acts.append(b);
    }
    li.append(acts);
    return li;
  }

  function updateAgent(li, a, queue) {
    const st = CC.agentState(a, queue);
    const d = CC.stateDetail(a, st, queue);
    li.dataset.extension = a.extension;
    li.dataset.state = st;
    const label = t("st_" + st) + (st === "paused" && d.reason ? " " + CC.reasonLabel(d.reason) : "");
    const [, ext, name, stEl, timer, acts] = li.children;
    CC.setText(ext, a.extension);
    CC.setText(name, a.name && a.name !== a.extension ? a.name : "");
    CC.setText(stEl, label);
    CC.setText(timer, CC.timerText(d));
    const peer = a.call ? ` ${a.call.direction === "out" ? "→" : "←"} ${a.call.peer || ""}` : "";
    li.title = t("agent_t", { x: a.extension, n: a.name || "", s: label }) + peer;
    acts.hidden = !a.call;
    acts.setAttribute("aria-label", a.extension);
    for (const b of acts.children) {
      const spy = b.dataset.action !== "hangup";
      CC.setText(b, t(b.dataset.action));
      b.setAttribute("aria-label", `${t(b.dataset.action)} ${a.extension}`);
      b.title = spy && !ME ? t("spy_off") : "";
      b.disabled = (spy && !ME) || CC.busy.has(`${b.dataset.action}:${a.extension}`) || !a.call;
    }
  }

  function renderAgents(ul, agents, queue) {
    ul.dataset.empty = t("no_agents");
    CC.reconcile(ul, agents, (a) => a.extension, makeAgent, (li, a) => updateAgent(li, a, queue));
  }

  function act(ext, action) {
    const label = `${t(action)} ${ext}`;
    const key = `${action}:${ext}`;
    if (action === "hangup") CC.act(key, label, "extensions/hangup", { extension: ext }, render);
    else CC.act(key, label, "extensions/extenSpy", { src: ME, dst: ext, mode: action }, render);
  }

  function render() {
    if (!S) return;
    const queues = [...S.queues.values()].map((q) => ({ q, wait: longestWait(q) }))
      .sort((a, b) => b.wait - a.wait || CC.byName(a.q.queue, b.q.queue));
    CC.reconcile($("queues"), queues, (x) => x.q.queue, makeQueue, updateQueue);
    const empty = $("empty");
    empty.hidden = queues.length > 0;
    CC.setText(empty, S.ready ? t("no_queues") : t("connecting"));
    const others = [...S.agents.values()]
      .filter((a) => !(a.queues || []).some((m) => S.queues.has(m.queue)))
      .sort((a, b) => CC.byName(a.extension, b.extension));
    $("others").hidden = !others.length;
    renderAgents($("others").querySelector(".agents"), others, undefined);
    CC.setText($("clock"), S.ready ? CC.clockText() : "");
    CC.setText($("me"), ME ? t("my_phone", { x: ME }) : t("no_phone"));
  }

  function start(state) {
    S = state;
    ME = state.session.extension || "";
    render();
    return render;
  }

  CC.setupLang("wall", render);
  CC.boot("wall", start);
})();
