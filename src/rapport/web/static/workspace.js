// The agent workspace's only hand-written script: keyboard shortcuts, live updates (SSE), presence, notifications.
// Loaded as a file (the CSP allows no inline script); htmx does the partial page updates.
(function () {
  "use strict";
  const meta = (name) => (document.querySelector(`meta[name="${name}"]`) || {}).content || "";
  const csrf = meta("csrf-token");
  const me = Number(meta("agent-id"));
  const alerts = () => document.getElementById("alerts");

  function say(text, cls) {
    const box = alerts();
    if (!box) return;
    const p = document.createElement("p");
    p.className = cls || "notice";
    p.textContent = text;
    box.replaceChildren(p);
  }

  // Relative times ("5 min ago") stay true while the page is open; the exact time is in the title.
  function ago(iso) {
    const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
    if (s < 45) return "just now";
    if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min ago`;
    if (s < 86400) return `${Math.round(s / 3600)} h ago`;
    const d = Math.round(s / 86400);
    return `${d} day${d === 1 ? "" : "s"} ago`;
  }
  // Deadlines ("due in 25 min", "late by 5 min") move on with the clock too, worded as sla/present.py words them;
  // one that passes turns to Breached at once, the word written as well as the colour.
  function span(s) {
    if (s < 60) return "<1 min";
    const m = Math.floor(s / 60), d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60), r = m % 60;
    if (d) return `${d} day${d === 1 ? "" : "s"}` + (h ? ` ${h} h` : "");
    if (h) return `${h} h` + (r ? ` ${r} min` : "");
    return `${r} min`;
  }
  function deadlines() {
    document.querySelectorAll("time[data-due]").forEach((t) => {
      const left = Math.round((Date.parse(t.dateTime) - Date.now()) / 1000);
      t.textContent = left > 0 ? `due in ${span(left)}` : `late by ${span(-left)}`;
      const pill = left > 0 ? null : t.closest("[data-deadline]").querySelector(".pill");
      if (pill && !pill.classList.contains("sla-late")) { pill.className = "pill sla-late"; pill.textContent = "Breached"; }
    });
  }
  setInterval(() => {
    document.querySelectorAll("time[data-relative]").forEach((t) => { t.textContent = ago(t.dateTime); });
    deadlines();
  }, 60000);

  // The wait before a live refresh (kept in step with bench/live_pages.py, which does what this page does).
  const TIMELINE_WAIT_MS = 50;
  const PANEL_WAIT_MS = 300;

  // Marks the page ready to use (scripts run, live stream connected): the benchmark times navigation to this.
  function ready() {
    if (document.documentElement.dataset.ready) return;
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); return; }
    document.documentElement.dataset.ready = "1";
    if (window.performance && performance.mark) performance.mark("rapport-ready");
  }

  // At most one call per `ms`, `ms` after the first request: a steady stream of events cannot put it off for
  // ever (a debounce would never fire while events keep coming closer together than its wait).
  function throttle(fn, ms) {
    let timer = null;
    return () => { if (!timer) timer = setTimeout(() => { timer = null; fn(); }, ms); };
  }

  function debounce(fn, ms) {
    let timer = null;
    return () => { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }
  const fire = (name) => document.body.dispatchEvent(new CustomEvent(name, { bubbles: true }));

  function follow(topics, onEvent, extraNames) {
    const url = "/api/v1/live?" + topics.map((t) => "topic=" + encodeURIComponent(t)).join("&");
    const source = new EventSource(url);
    const names = ["ready", "typing", "presence", "close"];
    source.addEventListener("ready", () => { document.body.dataset.live = "ready"; });
    source.onmessage = (e) => onEvent("message", e);
    // SSE events are named after the event (message.received …); listen to every name we care about.
    const eventNames = ["message.received", "message.sent", "note.added", "message.delivery_changed",
      "conversation.created", "conversation.status_changed", "conversation.assigned", "conversation.priority_changed",
      "conversation.team_changed", "conversation.tags_changed", "conversation.category_changed",
      "conversation.fields_changed", "conversation.merged", "conversation.reopened", "conversation.human_requested",
      "conversation.human_answered", "conversation.subject_changed", "agent.mentioned", "call.queued",
      "call.answered", "call.completed", "call.abandoned"];
    names.concat(eventNames, extraNames || []).forEach((n) => source.addEventListener(n, (e) => onEvent(n, e)));
    // The agent's own notifications: the badge (and the notifications page's list) refresh, nothing else does.
    source.addEventListener("notification.created", () => { fire("badge-changed"); fire("notifications-changed"); });
    return source;
  }

  // Every signed-in page shows the unread badge; a page without its own stream follows the agent's topic for it.
  const badge = document.getElementById("notification-count");
  if (badge && !document.querySelector("[data-live-inbox], [data-live-conversation]")) {
    follow([`agent:${me}`], mentioned);
  }
  // Another tab may have read them meanwhile: recount when the page is looked at again.
  document.addEventListener("visibilitychange", () => {
    if (badge && document.visibilityState === "visible") fire("badge-changed");
  });

  function mentioned(name, e) {
    if (name !== "agent.mentioned") return;
    const ev = JSON.parse(e.data).event;
    if (ev.payload.agent_id === me) say(`You were mentioned in conversation #${ev.conversation_id}.`, "warning");
  }

  // Inbox: counts and the list refresh when anything changes (the list only when nothing is selected).
  const inbox = document.querySelector("[data-live-inbox]");
  if (inbox) {
    const refresh = throttle(() => {
      fire("counts-changed");
      if (!document.querySelector("#conversation-list input[name=ids]:checked")) fire("list-changed");
    }, 400);
    follow(["all", `agent:${me}`], (name, e) => {
      mentioned(name, e);
      if (name === "ready") ready();
      if (name.includes(".")) refresh();
    });
  }

  // Supervisor board: any event (a message, an assignment, an agent's availability) refreshes it, at most once a
  // second however busy the inbox. While the supervisor's focus is inside the board (choosing an assignee) it
  // waits, so a refresh never resets a half-made choice, and catches up as soon as the focus leaves. (hx-sync in
  // the template: an assignment cancels a refresh in flight, and a refresh is dropped while one is in flight.)
  const boardPage = document.querySelector("[data-live-board]");
  if (boardPage) {
    const status = document.getElementById("board-live");
    const idle = status.textContent;
    let last = 0;
    let timer = null;
    let waiting = false;
    const say = (text) => { if (status.textContent !== text) status.textContent = text; };
    const busy = () => {
      const board = document.getElementById("board");
      return !!board && board.contains(document.activeElement);
    };
    const run = () => {
      timer = null;
      if (busy()) {
        waiting = true;
        say("Live updates wait while you work in the board; they resume when you leave it.");
        return;
      }
      waiting = false;
      say(idle);
      last = Date.now();
      fire("board-changed");
    };
    const refresh = () => { if (!timer) timer = setTimeout(run, Math.max(0, last + 1000 - Date.now())); };
    boardPage.addEventListener("focusout", (e) => {
      if (waiting && !(e.relatedTarget && document.getElementById("board").contains(e.relatedTarget))) refresh();
    });
    follow(["all"], (name) => { if (name.includes(".")) refresh(); }, ["agent.updated", "agent.created"]);
    // A failed assignment comes back with its error beside the field: put the focus there.
    document.body.addEventListener("htmx:afterSwap", (e) => {
      if (e.detail.target && e.detail.target.id === "board") {
        const bad = document.querySelector("#board [aria-invalid=true]");
        if (bad) bad.focus();
        else if (waiting) refresh(); // the focused control was replaced: nothing holds the refresh back now
      }
    });
  }

  // Conversation: timeline refresh on every event, presence (viewing / typing) of the other agents.
  const conv = document.querySelector("[data-live-conversation]");
  if (conv) {
    const id = Number(conv.dataset.liveConversation);
    const others = new Map();
    const notice = document.getElementById("collision");
    const show = () => {
      const parts = [];
      others.forEach((v) => parts.push(`${v.name || "Another agent"} is ${v.state === "typing" ? "typing a reply" : "viewing this conversation"}`));
      notice.textContent = parts.join(" · ");
      notice.hidden = parts.length === 0;
    };
    const signal = (state, keepalive) => fetch("/api/v1/live/presence", {
      method: "POST",
      credentials: "same-origin",
      keepalive: !!keepalive,
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify({ conversation_id: id, state: state }),
    }).catch(() => {});
    // One commit sends its events together: a short wait lets one fragment request answer all of them.
    const timeline = throttle(() => fire("timeline-changed"), TIMELINE_WAIT_MS);
    // The header and the actions panel are not redrawn while the agent edits the actions form; once the focus
    // leaves it the header catches up, and the panel too unless it holds choices not yet saved (a redraw would
    // throw them away; saving redraws it).
    const editing = () => document.getElementById("panel").contains(document.activeElement);
    const initial = (select) => (Array.from(select.options).find((o) => o.defaultSelected) || select.options[0] || {}).value;
    const unsaved = () => Array.from(document.querySelectorAll("#panel form [name]:not(button)")).some((el) =>
      el.tagName === "SELECT" ? el.value !== initial(el) : el.type !== "hidden" && el.value !== el.defaultValue);
    let stale = false;
    const refresh = () => {
      if (editing()) { stale = true; return; }
      fire("head-changed");
      stale = unsaved();
      if (!stale) fire("panel-changed");
    };
    const panel = throttle(refresh, PANEL_WAIT_MS);
    document.getElementById("panel-wrap").addEventListener("focusout", (e) => {
      if (stale && !document.getElementById("panel").contains(e.relatedTarget)) refresh();
    });
    const source = follow([`conversation:${id}`, `agent:${me}`], (name, e) => {
      mentioned(name, e);
      if (name === "ready") { signal("viewing"); ready(); return; }
      if (name === "presence" || name === "typing") {
        const d = JSON.parse(e.data);
        if (!d.who || d.who.kind !== "agent" || d.who.id === me || d.conversation_id !== id) return;
        const known = others.has(d.who.id);
        if (d.state === "left") others.delete(d.who.id);
        else if (d.state === "idle") others.set(d.who.id, { name: d.who.name, state: "viewing" });
        else others.set(d.who.id, { name: d.who.name, state: d.state });
        if (!known && d.state === "viewing") signal("viewing"); // let the newcomer know we are here too
        show();
        return;
      }
      if (name.includes(".")) {
        const ev = JSON.parse(e.data).event;
        if (ev && ev.conversation_id === id) { timeline(); if (name.startsWith("conversation.")) panel(); }
      }
    });
    window.addEventListener("pagehide", () => { signal("left", true); source.close(); });
    const box = document.getElementById("reply-text");
    let typing = false;
    const stop = debounce(() => { typing = false; signal("idle"); }, 4000);
    box.addEventListener("input", () => {
      if (!typing) { typing = true; signal("typing"); }
      stop();
    });
    box.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        document.getElementById("composer").requestSubmit();
      } else if (e.key === "Escape" && !e.defaultPrevented) {
        box.blur(); // leave the composer, so r, n, j and k work again
      }
    });
    document.body.addEventListener("htmx:afterRequest", (e) => {
      if (e.detail.elt && e.detail.elt.id === "composer" && e.detail.successful) {
        e.detail.elt.reset();
        if (typing) { typing = false; signal("idle"); }
        box.focus();
      }
    });
  }

  // @mentions: typing @ in the composer lists the agents whose name or handle matches; arrows choose, Enter or
  // Tab inserts "@handle ", Escape closes. The list is a listbox the textarea points at (aria-activedescendant).
  const mentionBox = document.querySelector("[data-mentions]");
  if (mentionBox) {
    const list = document.getElementById(mentionBox.dataset.mentions);
    const status = document.getElementById("mention-status");
    const options = Array.from(list.querySelectorAll("[role=option]"));
    let shown = [];
    let active = -1;
    const query = () => {
      const before = mentionBox.value.slice(0, mentionBox.selectionStart);
      const m = before.match(/(?:^|[^\w.])@([\w.-]*)$/);
      return m ? m[1].toLowerCase() : null;
    };
    const mark = (i) => {
      active = i;
      shown.forEach((o, n) => o.setAttribute("aria-selected", n === i ? "true" : "false"));
      if (shown[i]) { mentionBox.setAttribute("aria-activedescendant", shown[i].id); shown[i].scrollIntoView({ block: "nearest" }); }
      else mentionBox.removeAttribute("aria-activedescendant");
    };
    const close = () => { list.hidden = true; shown = []; mark(-1); };
    const update = () => {
      const q = query();
      if (q === null) { if (!list.hidden) { close(); status.textContent = ""; } return; }
      shown = options.filter((o) => {
        const hit = o.dataset.handle.startsWith(q) || o.dataset.name.split(/\s+/).some((w) => w.startsWith(q));
        o.hidden = !hit;
        return hit;
      }).slice(0, 8);
      options.forEach((o) => { if (!shown.includes(o)) o.hidden = true; });
      list.hidden = shown.length === 0;
      status.textContent = shown.length ? `${shown.length} agent${shown.length === 1 ? "" : "s"} to mention: up and down choose, Enter inserts` : "No agent matches";
      mark(shown.length ? 0 : -1);
    };
    const insert = (option) => {
      const start = mentionBox.selectionStart;
      const before = mentionBox.value.slice(0, start).replace(/@([\w.-]*)$/, `@${option.dataset.handle} `);
      mentionBox.value = before + mentionBox.value.slice(start);
      mentionBox.setSelectionRange(before.length, before.length);
      close();
      status.textContent = `Mentioned ${option.textContent.trim()}`;
      mentionBox.focus();
    };
    mentionBox.addEventListener("input", update);
    mentionBox.addEventListener("click", update);
    mentionBox.addEventListener("blur", () => setTimeout(close, 150));
    mentionBox.addEventListener("keydown", (e) => {
      if (list.hidden || !shown.length || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        mark((active + (e.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length);
      } else if ((e.key === "Enter" || e.key === "Tab") && active >= 0) {
        e.preventDefault();
        insert(shown[active]);
      } else if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        close();
      }
    });
    list.addEventListener("mousedown", (e) => {
      const option = e.target.closest("[role=option]");
      if (option) { e.preventDefault(); insert(option); }
    });
  }

  // Webhook form: "every event" makes the single event types moot, so they are switched off while it is ticked.
  // Delegated and re-applied on htmx:load: admin pages arrive by boosted swaps, after this script has run.
  const syncEvents = () => {
    const allEvents = document.querySelector("[data-all-events]");
    const groups = document.querySelector("[data-event-groups]");
    if (!allEvents || !groups) return;
    groups.classList.toggle("off", allEvents.checked);
    groups.querySelectorAll("input").forEach((box) => { box.disabled = allEvents.checked; });
  };
  document.addEventListener("change", (e) => {
    if (e.target.matches && e.target.matches("[data-all-events]")) syncEvents();
  });
  document.addEventListener("htmx:load", syncEvents);
  syncEvents();
  // A secret shown once is selected on focus (ready to copy), and focused when it appears.
  document.addEventListener("focusin", (e) => {
    if (e.target.matches && e.target.matches("[data-select-on-focus]")) e.target.select();
  });
  document.body.addEventListener("htmx:afterSwap", (e) => {
    const shown = e.detail.target && e.detail.target.querySelector && e.detail.target.querySelector("[data-select-on-focus]");
    if (shown) shown.focus();
  });

  // Keyboard: j/k move, Enter opens, x selects, r/n reply or note, g i inbox, / search, ? lists shortcuts.
  let selected = -1;
  let pendingG = false;
  const rows = () => Array.from(document.querySelectorAll("[data-row]"));
  function select(i) {
    const all = rows();
    if (!all.length) return;
    selected = Math.max(0, Math.min(i, all.length - 1));
    all.forEach((r, n) => r.classList.toggle("selected", n === selected));
    const link = all[selected].querySelector("a");
    if (link) link.focus();
  }
  document.addEventListener("keydown", (e) => {
    const t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (t.closest && t.closest("input, textarea, select, [contenteditable]")) return;
    const dialog = document.getElementById("shortcuts");
    if (e.key === "?") { e.preventDefault(); if (dialog && !dialog.open) dialog.showModal(); return; }
    if (e.key === "/") {
      // The page's own search box (customers, search) when it has one, else the top bar's.
      const box = document.querySelector("[data-search-main]") || document.querySelector("[data-search-box]");
      if (box) { e.preventDefault(); box.focus(); box.select(); }
      return;
    }
    if (pendingG) {
      pendingG = false;
      if (e.key === "i") window.location.href = "/inbox";
      // "Next best": the top bar's form (it carries the CSRF token), as if its button were pressed.
      const next = e.key === "n" && document.querySelector("form.next-best");
      if (next) next.requestSubmit();
      return;
    }
    if (e.key === "g") { pendingG = true; return; }
    if (e.key === "j") { e.preventDefault(); select(selected + 1); }
    else if (e.key === "k") { e.preventDefault(); select(selected - 1); }
    else if (e.key === "x" && selected >= 0) {
      const box = rows()[selected] && rows()[selected].querySelector("input[type=checkbox]");
      if (box) box.checked = !box.checked;
    } else if (e.key === "Enter" && selected >= 0 && !(t.closest && t.closest("a, button"))) {
      window.location.href = rows()[selected].dataset.href;
    } else if ((e.key === "r" || e.key === "n") && document.getElementById("reply-text")) {
      e.preventDefault();
      const mode = document.querySelector(`#composer input[name=mode][value=${e.key === "r" ? "reply" : "note"}]`);
      if (mode) mode.checked = true;
      document.getElementById("reply-text").focus();
    }
  });
  // Delegated: admin pages swap the body in with htmx, so buttons are new elements after each swap.
  document.addEventListener("click", (e) => {
    if (e.target.closest && e.target.closest("[data-shortcuts]")) document.getElementById("shortcuts").showModal();
  });
  // A button that sends its form as a GET (formmethod, data-no-csrf: a safe read such as a policy's What if) leaves
  // the form's CSRF token out, so the token never lands in the URL, the history or a log. Capturing: before htmx
  // (a boosted form) or the browser gathers the fields; put back once they have been gathered.
  document.addEventListener("submit", (e) => {
    if (!e.submitter || !e.submitter.hasAttribute("data-no-csrf")) return;
    const token = e.target.querySelector("input[name=csrf_token]");
    if (!token) return;
    token.disabled = true;
    setTimeout(() => { token.disabled = false; }, 0);
  }, true);
  if (!inbox && !conv) ready(); // pages without a live stream are ready once this script has run
})();
