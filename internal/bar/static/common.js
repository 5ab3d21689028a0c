// common.js: what the call bar and the supervisors' wall share: the language, the server's
// clock, the one rule that turns an agent row into a state, the API envelope, and the event
// stream that holds the state. The state shown is always the server's; nothing here guesses.
"use strict";

const CC = (() => {
  const LANG_KEY = "coocenter.lang";
  const POP_KEY = "coocenter.popped";

  const STRINGS = {
    en: {
      title_bar: "Call bar", title_wall: "Queue wall",
      expired: "This link has expired or is not valid: ask for a new one",
      connecting: "Connecting…", reconnecting: "Reconnecting…",
      disconnected: "Connection lost: retrying…",
      net_error: "Network error: {err}", bad_answer: "The server answered HTTP {code}",
      done: "done", need_number: "Type a number first",
      st_idle: "Idle", st_ringing: "Ringing", st_talking: "Talking", st_held: "On hold",
      st_wrapup: "Wrap-up", st_paused: "Paused", st_offline: "Phone offline",
      dir_in: "incoming", dir_out: "outgoing", dir_internal: "internal",
      hold: "Hold", unhold: "Unhold", mute: "Mute", unmute: "Unmute", hangup: "Hang up",
      transfer: "Transfer", consult: "Consult", consult_transfer: "Complete",
      consult_transfer_t: "Complete the consult transfer", three_way: "3-way",
      three_way_t: "Join the consulted party into a three-way call",
      consult_cancel: "Cancel", consult_cancel_t: "Cancel the consult and return to the caller",
      pause: "Pause", unpause: "Resume", wrapup_end: "End", wrapup_end_t: "End wrap-up now",
      pause_other: "Other reason", pause_go: "Pause",
      dial_label: "Number to call, transfer or consult", dial_ph: "Number",
      call: "Call", queues: "Queues", login: "Log in", logout: "Log out",
      q_in: "Logged in to {q}: press to log out", q_out: "Not in {q}: press to log in",
      q_paused: "paused", call_queue: "queue {q}", via: "dialled {n}",
      pop_link: "Open caller record", lang_switch: "Switch language",
      since: "since {t}", controls: "Call controls",
      waiting: "Waiting", longest: "Longest", answered: "Answered", abandoned: "Abandoned",
      sla: "SLA {s} s: {p} %", sla_none: "SLA {s} s: –", no_waiting: "No callers waiting", no_agents: "No agents",
      no_queues: "No queues yet", other_agents: "Not in a queue",
      listen: "Listen", whisper: "Whisper", barge: "Barge",
      my_phone: "Your phone: {x}", no_phone: "No phone on this link: listening is off",
      spy_off: "Listening needs your own phone, and this link names none: ask for a link with your extension",
      agent_t: "{x} {n}: {s}",
      r_lunch: "lunch", r_training: "training", r_meeting: "meeting", r_break: "break",
      "r_after-call": "after-call",
    },
    zh: {
      title_bar: "坐席工具条", title_wall: "队列监控",
      expired: "此链接已过期或无效：请重新获取链接",
      connecting: "正在连接…", reconnecting: "正在重新连接…",
      disconnected: "连接已断开：正在重试…",
      net_error: "网络错误：{err}", bad_answer: "服务器返回 HTTP {code}",
      done: "已完成", need_number: "请先输入号码",
      st_idle: "空闲", st_ringing: "振铃", st_talking: "通话中", st_held: "保持中",
      st_wrapup: "话后处理", st_paused: "示忙", st_offline: "话机离线",
      dir_in: "呼入", dir_out: "呼出", dir_internal: "内部",
      hold: "保持", unhold: "取消保持", mute: "静音", unmute: "取消静音", hangup: "挂断",
      transfer: "转接", consult: "咨询", consult_transfer: "完成转接",
      consult_transfer_t: "完成咨询转接", three_way: "三方",
      three_way_t: "把被咨询方加入三方通话",
      consult_cancel: "取消咨询", consult_cancel_t: "取消咨询，回到来电",
      pause: "示忙", unpause: "示闲", wrapup_end: "结束", wrapup_end_t: "立即结束话后处理",
      pause_other: "其他原因", pause_go: "示忙",
      dial_label: "要呼叫、转接或咨询的号码", dial_ph: "号码",
      call: "呼叫", queues: "队列", login: "签入", logout: "签出",
      q_in: "已签入 {q}：按下签出", q_out: "未签入 {q}：按下签入",
      q_paused: "示忙", call_queue: "队列 {q}", via: "拨打 {n}",
      pop_link: "打开来电客户资料", lang_switch: "切换语言",
      since: "自 {t}", controls: "通话控制",
      waiting: "排队", longest: "最长等待", answered: "接通", abandoned: "放弃",
      sla: "服务水平 {s} 秒：{p} %", sla_none: "服务水平 {s} 秒：–", no_waiting: "无排队来电", no_agents: "无坐席",
      no_queues: "暂无队列", other_agents: "未加入队列",
      listen: "监听", whisper: "耳语", barge: "强插",
      my_phone: "您的分机：{x}", no_phone: "此链接未指定分机：无法监听",
      spy_off: "监听需要您自己的分机，此链接未指定：请获取带有您分机的链接",
      agent_t: "{x} {n}：{s}",
      r_lunch: "午餐", r_training: "培训", r_meeting: "会议", r_break: "休息",
      "r_after-call": "话后",
    },
  };

  function normLang(s) {
    s = String(s || "").toLowerCase();
    if (s.startsWith("zh")) return "zh";
    if (s.startsWith("en")) return "en";
    return null;
  }

  // The remembered choice wins; before there is one, ?lang= and then the browser decide.
  function pickLang() {
    let stored = null;
    try { stored = localStorage.getItem(LANG_KEY); } catch (_) { /* storage off */ }
    const query = new URLSearchParams(location.search).get("lang");
    return normLang(stored) || normLang(query) || normLang(navigator.language) || "en";
  }

  let lang = pickLang();

  function t(key, vars) {
    let s = STRINGS[lang][key] ?? STRINGS.en[key] ?? key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
    return s;
  }

  // A pause reason the page knows is translated; any other is the agent's own words.
  function reasonLabel(r) {
    return r && STRINGS.en["r_" + r] ? t("r_" + r) : (r || "");
  }

  function applyStatic(page) {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
    for (const el of document.querySelectorAll("[data-i18n-ph]")) el.placeholder = t(el.dataset.i18nPh);
    for (const el of document.querySelectorAll("[data-i18n-label]")) {
      el.setAttribute("aria-label", t(el.dataset.i18nLabel));
    }
    document.title = t("title_" + page);
    const sw = document.getElementById("lang");
    if (sw) {
      sw.textContent = lang === "zh" ? "EN" : "中文";
      sw.setAttribute("lang", lang === "zh" ? "en" : "zh-CN");
      sw.setAttribute("aria-label", t("lang_switch") + (lang === "zh" ? ": English" : ": 中文"));
    }
  }

  function setupLang(page, rerender) {
    applyStatic(page);
    const sw = document.getElementById("lang");
    if (!sw) return;
    sw.addEventListener("click", () => {
      lang = lang === "zh" ? "en" : "zh";
      try { localStorage.setItem(LANG_KEY, lang); } catch (_) { /* storage off */ }
      applyStatic(page);
      retranslateMessage();
      rerender();
    });
  }

  // The server's clock: the latest "now" it sent and when it arrived. Both sides of a
  // difference are parsed the same naive way (as UTC), so the time zones cancel.
  const clock = { now: NaN, at: 0 };

  function parseTime(s) {
    const m = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)/.exec(s || "");
    return m ? Date.UTC(+m[1], m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
  }

  function noteNow(s) {
    const v = parseTime(s);
    if (!Number.isNaN(v)) { clock.now = v; clock.at = performance.now(); }
  }

  function serverNow() {
    if (Number.isNaN(clock.now)) {
      const d = new Date();
      return d.getTime() - d.getTimezoneOffset() * 60000;
    }
    return clock.now + (performance.now() - clock.at);
  }

  function elapsed(since) {
    const v = parseTime(since);
    return Number.isNaN(v) ? NaN : serverNow() - v;
  }

  function fmtDur(ms) {
    if (!Number.isFinite(ms)) return "";
    const s = Math.max(0, Math.floor(ms / 1000));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), ss = s % 60;
    const two = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${two(m)}:${two(ss)}` : `${two(m)}:${two(ss)}`;
  }

  function clockText() {
    const d = new Date(serverNow());
    return d.toISOString().slice(11, 19);
  }

  function pausedEntries(a, queue) {
    return (a.queues || []).filter((q) => q.paused === "1" && (!queue || q.queue === queue));
  }

  // agentState is the one rule for the chip, on the bar and on the wall. With a queue,
  // "paused" means paused in that queue: an agent paused in 630 still takes 631's calls.
  function agentState(a, queue) {
    if (!a) return "offline";
    const dev = a.device || "";
    if (dev === "unavailable") return "offline";
    if (dev === "ringing") return "ringing";
    if (a.call) return a.call.held === "1" || dev === "onhold" ? "held" : "talking";
    if (dev === "onhold") return "held";
    if (dev === "inuse" || dev === "busy") return "talking";
    if (a.wrapup) return "wrapup";
    if (pausedEntries(a, queue).length) return "paused";
    return "idle";
  }

  // stateDetail says what the chip's timer counts: up from since, or down to until.
  function stateDetail(a, state, queue) {
    if (!a) return {};
    if (state === "wrapup") return { until: a.wrapup && a.wrapup.until };
    if (state === "paused") {
      const p = pausedEntries(a, queue);
      const since = p.map((q) => q.pausedSince).filter(Boolean).sort()[0] || "";
      return { since, reason: (p.find((q) => q.reason) || {}).reason || "" };
    }
    if (a.call && state !== "offline") return { since: a.call.since };
    return {};
  }

  function timerText(d) {
    if (d.until) return fmtDur(-elapsed(d.until));
    if (d.since) return fmtDur(elapsed(d.since));
    return "";
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) {
      try { return crypto.randomUUID(); } catch (_) { /* insecure context */ }
    }
    const b = new Uint8Array(16);
    if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(b);
    else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  const token = new URLSearchParams(location.search).get("token") || "";

  async function readEnvelope(res) {
    if (res.status === 401) return { ok: false, expired: true, message: t("expired") };
    let env = null;
    try { env = await res.json(); } catch (_) { /* not JSON */ }
    if (res.ok && env && env.status === "success") {
      return { ok: true, message: env.message || "", data: env.data };
    }
    return { ok: false, message: (env && env.message) || t("bad_answer", { code: res.status }) };
  }

  async function request(path, init) {
    try {
      return await readEnvelope(await fetch("/coocenter-api/" + path, init));
    } catch (e) {
      return { ok: false, message: t("net_error", { err: e.message }) };
    }
  }

  function post(path, params) {
    return request(path, {
      method: "POST",
      headers: {
        Authorization: "Bearer " + token,
        "Content-Type": "application/x-www-form-urlencoded",
        "Idempotency-Key": uuid(),
      },
      body: new URLSearchParams(params),
    });
  }

  function getSession() {
    if (!token) return Promise.resolve({ ok: false, expired: true, message: t("expired") });
    return request("bar/session", { headers: { Authorization: "Bearer " + token }, cache: "no-store" });
  }

  // #message holds the last answer. A message made from a key is translated again when
  // the language changes; the server's own sentences are shown as they came.
  let last = null;
  let clearTimer = 0;

  function say(text, kind, key) {
    last = { text, kind, key };
    const el = document.getElementById("message");
    if (!el) return;
    el.textContent = text;
    el.dataset.kind = kind || "";
    el.title = text;
    clearTimeout(clearTimer);
    if (kind === "ok") clearTimer = setTimeout(() => { if (last && last.text === text) say("", ""); }, 5000);
  }

  function retranslateMessage() {
    if (last && last.key) say(t(last.key), last.kind, last.key);
  }

  function announce(text) {
    const el = document.getElementById("announce");
    if (el && el.textContent !== text) el.textContent = text;
  }

  function fatal(key) {
    document.body.classList.add("fatal");
    say(t(key), "error", key);
    banner("");
  }

  function banner(key) {
    const el = document.getElementById("banner");
    if (!el) return;
    el.hidden = !key;
    el.textContent = key ? t(key) : "";
    // While away the rows may be old: they are shown dimmed, not as the present.
    document.body.classList.toggle("stale", !!key);
  }

  // busy holds the actions whose request is running: their buttons stay disabled until
  // the answer comes, so a second click cannot send the same thing twice.
  const busy = new Set();

  // A button that held the focus loses it while disabled; it gets it back after the answer.
  async function act(key, label, path, params, rerender) {
    if (busy.has(key)) return null;
    const focused = document.activeElement;
    busy.add(key);
    rerender();
    const r = await post(path, params);
    busy.delete(key);
    if (r.ok) say(`${label}: ${r.message || t("done")}`, "ok");
    else if (r.expired) fatal("expired");
    else say(`${label}: ${r.message}`, "error");
    rerender();
    const lost = !document.activeElement || document.activeElement === document.body;
    if (lost && focused && focused.isConnected && !focused.disabled && focused.offsetParent) focused.focus();
    return r;
  }

  function parseData(ev) {
    try { return JSON.parse(ev.data); } catch (_) { return null; }
  }

  // openStream keeps the agents and queues exactly as the server last described them.
  function openStream(state, changed) {
    let es = null;
    const upd = (fn) => (ev) => {
      banner("");
      const d = parseData(ev);
      if (d === null) return;
      if (d && d.now) noteNow(d.now);
      fn(d);
      changed();
    };
    const handlers = {
      "agent-status": (d) => { if (!Array.isArray(d)) return;
        state.agents = new Map(d.map((a) => [a.extension, a]));
        state.seen = true;
      },
      realtime: (d) => { state.queues = new Map((d.queues || []).map((q) => [q.queue, q])); state.ready = true; },
      agent: (d) => {
        if (d.agent) state.agents.set(d.agent.extension, d.agent);
        else if (d.extension) state.agents.delete(d.extension);
      },
      queue: (d) => {
        if (d.queue) state.queues.set(d.queue.queue, d.queue);
        else if (d.name) state.queues.delete(d.name);
      },
      reset: () => { state.agents = new Map(); state.queues = new Map(); state.seen = false; },
    };
    function connect() {
      es = new EventSource("/coocenter-api/events?token=" + encodeURIComponent(token));
      es.onopen = () => banner("");
      es.onmessage = () => banner("");
      es.onerror = () => {
        if (es.readyState === EventSource.CONNECTING) { banner("reconnecting"); return; }
        // CLOSED: the browser gave up (an HTTP error). Ask whether the link still holds.
        es.close();
        banner("disconnected");
        setTimeout(recheck, 5000);
      };
      for (const [name, fn] of Object.entries(handlers)) es.addEventListener(name, upd(fn));
    }
    async function recheck() {
      const r = await getSession();
      if (r.expired) fatal("expired");
      else if (!r.ok) setTimeout(recheck, 5000);
      else connect();
    }
    connect();
  }

  // boot checks the link, sends a link for the other page there, and starts the stream.
  async function boot(page, start) {
    const state = { agents: new Map(), queues: new Map(), seen: false, ready: false, session: null };
    const r = await getSession();
    if (r.expired) return fatal("expired");
    if (!r.ok) {
      say(r.message, "error");
      setTimeout(() => boot(page, start), 5000);
      return undefined;
    }
    const s = r.data || {};
    if (s.page && s.page !== page) {
      location.replace((s.page === "wall" ? "/bar/wall" : "/bar/") + location.search);
      return undefined;
    }
    state.session = s;
    const changed = start(state);
    openStream(state, changed);
    setInterval(changed, 1000);
    return undefined;
  }

  // reconcile makes parent's children match items, reusing the element of each key, so
  // that a re-render every second keeps keyboard focus and hover where they were.
  function reconcile(parent, items, keyOf, make, update) {
    const old = new Map();
    for (const el of parent.children) old.set(el.dataset.key, el);
    items.forEach((item, i) => {
      const k = String(keyOf(item));
      let el = old.get(k);
      if (el) old.delete(k);
      else { el = make(item); el.dataset.key = k; }
      update(el, item);
      if (parent.children[i] !== el) parent.insertBefore(el, parent.children[i] || null);
    });
    for (const el of old.values()) el.remove();
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function setText(e, s) {
    if (e.textContent !== s) e.textContent = s;
  }

  function safeUrl(u) {
    if (!u) return "";
    try {
      const url = new URL(u, location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : "";
    } catch (_) { return ""; }
  }

  const byName = (a, b) => String(a).localeCompare(String(b), undefined, { numeric: true });

  return {
    t, reasonLabel, lang: () => lang, setupLang, boot, act, busy, say, announce,
    agentState, stateDetail, timerText, elapsed, fmtDur, clockText, reconcile, el, setText,
    safeUrl, byName, POP_KEY,
  };
})();
