// Rapport chat widget: <script src="https://<rapport>/chat/widget.js" data-inbox="<public key>" defer></script>
// Plain modern JavaScript, no build step, no third-party code. Everything lives in one shadow root, so the host
// page's styles cannot break it and its styles cannot leak out. The visitor token is kept in localStorage and
// sent as a header (never a cookie). Colours come from the inbox's settings.theme (GET /theme) as CSS custom
// properties in a constructed style sheet: nothing inline, so a strict Content-Security-Policy holds.
(() => {
  "use strict";
  const script = document.currentScript;
  if (!script) return;
  const KEY = script.dataset.inbox || "";
  const BASE = new URL(script.src).origin;
  const API = `${BASE}/chat/api/${encodeURIComponent(KEY)}`;
  const STORE = `rapport-chat:${BASE}:${KEY}`;
  const CSS = `
    :host { all: initial; }
    .rc { --rc-accent: #2456c7; --rc-on-accent: #ffffff; --rc-ink: #1d1d1f; position: fixed; right: 16px; bottom: 16px; z-index: 2147483000; font: 14px/1.4 system-ui, sans-serif; color: var(--rc-ink); }
    .rc button { font: inherit; cursor: pointer; border-radius: 6px; border: 1px solid var(--rc-accent); background: var(--rc-accent); color: var(--rc-on-accent); padding: 6px 10px; }
    .rc button.secondary { background: #fff; color: var(--rc-ink); border-width: 2px; }
    .rc .attach img { display: block; }
    .rc button:focus-visible, .rc input:focus-visible, .rc textarea:focus-visible, .rc .log:focus-visible, .rc a:focus-visible { outline: 3px solid #f5a623; outline-offset: 1px; }
    .rc .panel { width: 340px; max-width: calc(100vw - 32px); height: 480px; max-height: calc(100vh - 96px); background: #fff; border: 1px solid #c9c9cf; border-radius: 10px; display: flex; flex-direction: column; box-shadow: 0 6px 24px rgba(0,0,0,.18); margin-bottom: 8px; overflow-y: auto; }
    .rc .panel > * { flex-shrink: 0; }
    .rc .panel > ol.log { flex: 1 1 0; min-height: 96px; }
    .rc .panel[hidden] { display: none; }
    .rc header { display: flex; justify-content: space-between; align-items: center; padding: 8px 10px; border-bottom: 1px solid #e3e3e8; }
    .rc h2 { font-size: 15px; margin: 0; }
    .rc .notice { padding: 6px 10px; background: #f4f6fb; font-size: 13px; }
    .rc .notice:empty, .rc .queue[hidden] { display: none; }
    .rc .queue { margin: 6px 10px 0; padding: 6px 10px; border-left: 4px solid var(--rc-accent); background: #f4f6fb; font-size: 13px; }
    .rc .queue p { margin: 0; }
    .rc .queue .place { font-weight: 600; }
    .rc ol { list-style: none; margin: 0; padding: 10px; overflow-y: auto; }
    .rc li { margin: 4px 0; padding: 6px 8px; border-radius: 8px; max-width: 85%; white-space: pre-wrap; word-wrap: break-word; }
    .rc li.inbound { background: var(--rc-accent); color: var(--rc-on-accent); margin-left: auto; }
    .rc li.outbound { background: #eef0f4; }
    .rc li .who { display: block; font-size: 11px; opacity: .8; }
    .rc li a { color: inherit; }
    .rc .typing { min-height: 1.4em; padding: 0 10px; font-size: 12px; color: #52525c; }
    .rc form { display: flex; gap: 6px; padding: 8px; border-top: 1px solid #e3e3e8; align-items: flex-end; }
    .rc textarea { flex: 1; resize: none; font: inherit; padding: 6px; border: 1px solid #8e8e99; border-radius: 6px; }
    .rc .email { display: flex; gap: 6px; padding: 8px; }
    .rc .email[hidden] { display: none; }
    .rc .email input { flex: 1; font: inherit; padding: 4px 6px; border: 1px solid #8e8e99; border-radius: 6px; }
    .rc .person { margin: 6px 10px; }
    .rc .survey { margin: 6px 10px; padding: 8px 10px; border: 1px solid #c9c9cf; border-radius: 8px; }
    .rc .survey[hidden] { display: none; }
    .rc .survey p { margin: 0 0 6px; }
    .rc .survey .points { display: flex; flex-wrap: wrap; gap: 4px; }
    .rc .survey .points button { min-width: 44px; min-height: 44px; }
    .rc .survey .points button[aria-pressed="true"] { background: var(--rc-accent); color: var(--rc-on-accent); }
    .rc .survey .done { margin: 6px 0 0; font-size: 13px; }
    .rc .survey .done:empty { display: none; }
    .rc .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  `;
  const HTML = `
    <div class="rc">
      <section class="panel" id="rc-panel" role="dialog" aria-modal="true" aria-labelledby="rc-title" hidden>
        <header><h2 id="rc-title">Chat with us</h2>
          <button type="button" class="secondary close" aria-label="Close the chat">×</button></header>
        <p class="notice" aria-live="polite"></p>
        <div class="queue" role="status" hidden><p class="place"></p><p class="wait"></p></div>
        <button type="button" class="secondary person">Talk to a person</button>
        <ol class="log" tabindex="0" aria-live="polite" aria-relevant="additions" aria-label="Messages"></ol>
        <div class="survey" role="group" aria-labelledby="rc-survey-q" hidden>
          <p id="rc-survey-q"></p><div class="points"></div><p class="done" aria-live="polite"></p>
        </div>
        <div class="typing" aria-live="polite"></div>
        <div class="email" hidden>
          <label class="sr" for="rc-email">Your email address</label>
          <input id="rc-email" type="email" autocomplete="email" placeholder="you@example.com">
          <button type="button" class="send-email">Continue by email</button>
        </div>
        <div class="email code" hidden>
          <label class="sr" for="rc-code">The code we mailed you</label>
          <input id="rc-code" inputmode="numeric" autocomplete="one-time-code" maxlength="12" placeholder="Code from the mail">
          <button type="button" class="send-code">Confirm</button>
        </div>
        <form>
          <label class="sr" for="rc-text">Your message</label>
          <textarea id="rc-text" rows="2" placeholder="Write a message…"></textarea>
          <label class="sr" for="rc-file">Attach a file</label>
          <input id="rc-file" type="file" class="sr" tabindex="-1">
          <button type="button" class="secondary attach" aria-label="Attach a file"></button>
          <button type="submit">Send</button>
        </form>
      </section>
      <button type="button" class="open" aria-haspopup="dialog" aria-controls="rc-panel" aria-expanded="false">Chat with us</button>
    </div>`;

  // A landmark of its own (complementary): on any page it is embedded in, the chat is found and announced as such.
  const host = document.createElement("aside");
  host.setAttribute("aria-label", "Chat");
  host.setAttribute("data-rapport-chat", "");
  const root = host.attachShadow({ mode: "closed" });
  let themeSheet = null;
  if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function") {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS); // a constructed sheet: no inline <style> for the host page's CSP to refuse
    themeSheet = new CSSStyleSheet(); // the inbox's colours, filled in once GET /theme answers
    root.adoptedStyleSheets = [sheet, themeSheet];
  } else {
    const style = document.createElement("style");
    style.textContent = CSS;
    root.append(style);
  }
  const shell = document.createElement("div");
  shell.innerHTML = HTML; // a constant template; every message is inserted as text, never as HTML
  root.append(shell.firstElementChild);
  if (document.body) document.body.append(host);
  else document.addEventListener("DOMContentLoaded", () => document.body.append(host));
  const $ = (sel) => root.querySelector(sel);
  const panel = $(".panel"), openBtn = $(".open"), log = $(".log"), notice = $(".notice"), typingEl = $(".typing");
  const text = $("#rc-text"), file = $("#rc-file"), emailBox = $(".email:not(.code)"), emailInput = $("#rc-email");
  const codeBox = $(".code"), codeInput = $("#rc-code");
  const queueBox = $(".queue"), queuePlace = $(".queue .place"), queueWait = $(".queue .wait");
  const surveyBox = $(".survey"), surveyQ = $("#rc-survey-q"), surveyPoints = $(".survey .points");
  const surveyDone = $(".survey .done");

  let state = JSON.parse(localStorage.getItem(STORE) || "{}");
  let lastId = 0, conversationId = null, streamAbort = null, typingTimer = null, sentTyping = false;
  let queueTimer = null, typingShown = null, sawWaiting = false, surveyId = null, surveyTimer = null;
  const seen = new Set();
  const save = () => localStorage.setItem(STORE, JSON.stringify(state));

  async function call(path, { method = "GET", body } = {}) {
    const headers = { "Content-Type": "application/json" };
    if (state.token) headers["X-Rapport-Visitor"] = state.token;
    const res = await fetch(`${API}${path}`, { method, headers, body: body && JSON.stringify(body) });
    if (res.status === 401 && state.token) { state = {}; save(); }
    if (res.status === 204) return null;
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.detail || `HTTP ${res.status}`);
    return data;
  }

  async function ensureVisitor() {
    if (state.token) return;
    const got = await call("/visitors", { method: "POST", body: {} });
    state = { token: got.token }; save();
    showWait(got.wait);
  }

  function showWait(wait) {
    if (!wait) return;
    notice.textContent = wait.available ? wait.text : `${wait.text} Leave your email and we will answer there.`;
    emailBox.hidden = wait.available;
  }

  // The visitor's place in the human queue: shown at once after "Talk to a person", asked again every
  // refresh_seconds (and as soon as an agent's reply arrives) until a person answers; then who joined.
  function showQueue(q) {
    clearTimeout(queueTimer);
    // "Sam joined" only follows a wait this page saw, not an answer from an earlier visit.
    if (!q || !(q.waiting || (q.answered_by && sawWaiting))) { queueBox.hidden = true; return; }
    sawWaiting = q.waiting;
    queuePlace.textContent = q.position_text;
    queueWait.textContent = q.waiting && !q.available ? `${q.wait_text} Leave your email and we will answer there.` : q.wait_text;
    queueBox.hidden = false;
    notice.textContent = "";
    if (q.waiting) {
      emailBox.hidden = q.available;
      queueTimer = setTimeout(refreshQueue, (q.refresh_seconds || 15) * 1000);
    } else emailBox.hidden = true;
  }

  function refreshQueue() {
    if (!state.token) return;
    call("/queue").then(showQueue).catch(() => {});
  }

  // Colours are checked by the server (#rgb or #rrggbb); checked again here, as they are written into CSS.
  function applyTheme(t) {
    const hex = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;
    if (!themeSheet || !t || !hex.test(t.accent) || !hex.test(t.text)) return;
    themeSheet.replaceSync(`.rc { --rc-accent: ${t.accent}; --rc-on-accent: ${t.text}; }`);
  }

  function add(m) {
    if (seen.has(m.id)) return;
    seen.add(m.id);
    lastId = Math.max(lastId, m.id);
    const li = document.createElement("li");
    li.className = m.direction === "inbound" ? "inbound" : "outbound";
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = m.direction === "inbound" ? "You" : (m.author_name || "Support");
    li.append(who, document.createTextNode(m.text || ""));
    for (const a of m.attachments || []) {
      const link = document.createElement("a");
      link.href = "#";
      link.textContent = `\nAttachment: ${a.filename}`;
      link.addEventListener("click", (ev) => { ev.preventDefault(); download(a); });
      li.append(link);
    }
    log.append(li);
    log.scrollTop = log.scrollHeight;
    if (m.direction === "outbound") {
      typingEl.textContent = "";
      // A survey arrives as a message: ask (once, shortly) whether one is open now, to show its points.
      clearTimeout(surveyTimer);
      surveyTimer = setTimeout(refreshSurvey, 50);
      if (!queueBox.hidden && queuePlace.textContent) refreshQueue(); // a person answered: say who joined
    }
  }

  // The open survey of this chat: its first question's points as buttons, answered with one tap; the rest of the
  // questions are on the survey page the answer links to. Every text is inserted as text, never as HTML.
  async function refreshSurvey() {
    if (!state.token) return;
    const got = await call("/survey").catch(() => null);
    const s = got && got.survey;
    if (!s) { surveyBox.hidden = true; surveyId = null; return; }
    if (s.request_id !== surveyId) showSurvey(s);
  }

  function showSurvey(s) {
    surveyId = s.request_id;
    surveyQ.textContent = s.prompt;
    surveyPoints.textContent = "";
    surveyDone.textContent = "";
    for (const p of s.points) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "secondary point";
      b.dataset.value = String(p.value);
      b.textContent = p.label === String(p.value) ? String(p.value) : p.label;
      b.setAttribute("aria-pressed", String(s.answered === p.value));
      b.addEventListener("click", () => answerSurvey(s.request_id, p.value));
      surveyPoints.append(b);
    }
    surveyBox.hidden = false;
  }

  async function answerSurvey(requestId, value) {
    try {
      const got = await call("/survey", { method: "POST", body: { request_id: requestId, score: value } });
      for (const b of surveyPoints.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.value === String(value)));
      surveyDone.textContent = "Thank you for your answer. ";
      // Only a link to this Rapport's own survey page is followed.
      if (typeof got.page === "string" && got.page.startsWith(`${BASE}/survey/`)) {
        const more = document.createElement("a");
        more.href = got.page; more.target = "_blank"; more.rel = "noopener noreferrer";
        more.textContent = "Answer the other questions";
        surveyDone.append(more);
      }
    } catch (err) { surveyDone.textContent = err.message; }
  }

  async function download(a) {
    const res = await fetch(`${API}/attachments/${a.id}`, { headers: { "X-Rapport-Visitor": state.token } });
    if (!res.ok) return;
    const url = URL.createObjectURL(await res.blob());
    const link = document.createElement("a");
    link.href = url; link.download = a.filename; link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  async function loadHistory() {
    if (!state.token) return;
    let got;
    do { // pages of 200, oldest first, until caught up
      got = await call(`/messages?after=${lastId}&limit=200`);
      got.items.forEach(add);
    } while (got.items.length === 200);
    if (got.conversation_id !== conversationId) { conversationId = got.conversation_id; openStream(); }
  }

  // SSE read with fetch (EventSource cannot send the token header); reconnects and catches up from history.
  async function openStream() {
    if (streamAbort) streamAbort.abort();
    if (!state.token || !conversationId) return;
    const ctl = new AbortController();
    streamAbort = ctl;
    try {
      const res = await fetch(`${API}/stream`, { headers: { "X-Rapport-Visitor": state.token }, signal: ctl.signal });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let cut;
        while ((cut = buf.indexOf("\n\n")) >= 0) {
          onFrame(buf.slice(0, cut)); buf = buf.slice(cut + 2);
        }
      }
    } catch (err) {
      if (ctl.signal.aborted) return;
    }
    if (streamAbort === ctl) setTimeout(() => loadHistory().then(openStream).catch(() => {}), 2000);
  }

  function onFrame(frame) {
    let name = "message", data = "";
    for (const line of frame.split("\n")) {
      if (line.startsWith("event: ")) name = line.slice(7);
      else if (line.startsWith("data: ")) data += line.slice(6);
    }
    if (!data) return;
    const body = JSON.parse(data);
    if ((name === "message.sent" || name === "message.received") && body.message) add(body.message);
    else if (name === "typing" && body.who && body.who.kind === "agent") showTyping(body);
  }

  // "Sam is typing…"; cleared by idle, by their message, or after a while if the idle signal never comes.
  function showTyping(body) {
    clearTimeout(typingShown);
    typingEl.textContent = body.state === "typing" ? `${body.who.name || "Support"} is typing…` : "";
    if (body.state === "typing") typingShown = setTimeout(() => { typingEl.textContent = ""; }, 10000);
  }

  async function send(ev) {
    ev.preventDefault();
    const value = text.value.trim();
    const chosen = file.files[0];
    if (!value && !chosen) return;
    await ensureVisitor();
    const attachments = chosen ? [{ filename: chosen.name, content_type: chosen.type || null, data: await base64(chosen) }] : [];
    try {
      const got = await call("/messages", { method: "POST", body: { text: value || null, attachments } });
      text.value = ""; file.value = "";
      if (got.conversation_id !== conversationId) { conversationId = got.conversation_id; openStream(); }
      await loadHistory();
    } catch (err) { notice.textContent = err.message; }
  }

  function base64(blob) {
    return new Promise((resolve, reject) => {
      const r = new FileReader();
      r.onload = () => resolve(String(r.result).split(",", 2)[1] || "");
      r.onerror = reject;
      r.readAsDataURL(blob);
    });
  }

  async function person() {
    try {
      await ensureVisitor();
      const got = await call("/person", { method: "POST", body: {} });
      if (got.queue) showQueue(got.queue); else showWait(got.wait);
      conversationId = null;
      await loadHistory();
    } catch (err) { notice.textContent = err.message; }
  }

  async function giveEmail() {
    try {
      await ensureVisitor();
      await call("/email", { method: "POST", body: { email: emailInput.value, continue_by_email: true } });
      // The address is proven only by typing the mailed code here, in this chat: a link would verify whoever asked.
      notice.textContent = "Thank you. We mailed you a code: type it here to confirm the address.";
      emailBox.hidden = true;
      codeBox.hidden = false;
      codeInput.focus();
    } catch (err) { notice.textContent = err.message; }
  }

  async function confirmCode() {
    try {
      await call("/email/confirm", { method: "POST", body: { code: codeInput.value } });
      notice.textContent = "Your email address is confirmed; we will continue there.";
      codeBox.hidden = true;
      codeInput.value = "";
      // The history now reaches back before this chat: read it again from the start, in order.
      log.textContent = ""; seen.clear(); lastId = 0; conversationId = null;
      await loadHistory();
    } catch (err) { notice.textContent = err.message; }
  }

  function typing() {
    if (!state.token || !conversationId) return;
    if (!sentTyping) { sentTyping = true; call("/typing", { method: "POST", body: { state: "typing" } }).catch(() => {}); }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => {
      sentTyping = false;
      call("/typing", { method: "POST", body: { state: "idle" } }).catch(() => {});
    }, 3000);
  }

  function toggle(open) {
    panel.hidden = !open;
    openBtn.setAttribute("aria-expanded", String(open));
    openBtn.hidden = open;
    if (open) {
      text.focus();
      call("/status").then(showWait).then(() => state.token && refreshQueue()).catch(() => {});
      loadHistory().then(refreshSurvey).catch(() => {});
    } else {
      clearTimeout(queueTimer);
      openBtn.focus();
    }
  }

  // On a short screen the panel scrolls as a whole (the log keeps at least a few lines), so a survey or the email
  // box never pushes the message box out of reach.
  // The panel is a modal dialog (the message log is a stop too: it scrolls, so keyboard users must reach it): Tab and Shift+Tab go round its visible controls; Escape closes it.
  function trap(ev) {
    if (ev.key === "Escape") { ev.preventDefault(); toggle(false); return; }
    if (ev.key !== "Tab") return;
    const stops = Array.from(panel.querySelectorAll("button, input, textarea, a[href], [tabindex='0']"))
      .filter((el) => !el.disabled && el.tabIndex >= 0 && el.getClientRects().length > 0);
    if (!stops.length) return;
    const first = stops[0], last = stops[stops.length - 1], at = root.activeElement;
    if (ev.shiftKey && (at === first || !panel.contains(at))) { ev.preventDefault(); last.focus(); }
    else if (!ev.shiftKey && (at === last || !panel.contains(at))) { ev.preventDefault(); first.focus(); }
  }

  openBtn.addEventListener("click", () => toggle(true));
  $(".close").addEventListener("click", () => toggle(false));
  panel.addEventListener("keydown", trap);
  call("/theme").then(applyTheme).catch(() => {});
  $(".person").addEventListener("click", person);
  $(".send-email").addEventListener("click", giveEmail);
  $(".send-code").addEventListener("click", confirmCode);
  codeInput.addEventListener("keydown", (ev) => { if (ev.key === "Enter") confirmCode(); });
  // A paperclip drawn by the vendored icon set, not an emoji: most Linux desktops have no emoji font (an empty box).
  const clip = document.createElement("img");
  clip.src = `${BASE}/static/vendor/icons/paperclip.svg`;
  clip.alt = "";
  clip.width = clip.height = 18;
  $(".attach").append(clip);
  $(".attach").addEventListener("click", () => file.click());
  $("form").addEventListener("submit", send);
  text.addEventListener("input", typing);
  text.addEventListener("keydown", (ev) => { if (ev.key === "Enter" && !ev.shiftKey) send(ev); });
})();
