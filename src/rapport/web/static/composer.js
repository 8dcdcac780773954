// The conversation page's composer: the formatting toolbar and its shortcuts (Ctrl/⌘+B, I, K), the fields only an
// email reply has (Cc, Bcc, signatures), and snooze by keyboard (z). A file of its own (the CSP allows no inline
// script). The toolbar writes the composer's markup (**bold**, _italic_, [link](url), "- ", "1. ", "> ") into the
// textarea; the server turns it into sanitised HTML and plain text (kit/markup.py), so nothing here renders HTML.
(function () {
  "use strict";
  const form = document.getElementById("composer");
  const box = document.querySelector("[data-format-box]");
  const LIST = /^(- |\* |\d+[.)] )/;
  const LINE = { bullets: /^[-*] /, numbers: /^\d+[.)] /, quote: /^> ?/ };
  const INLINE = { bold: /\*\*([^*\n]+?)\*\*/g, italic: /_([^_\n]+?)_/g, link: /\[[^\]\n]*\]\([^)\s]*\)/g };

  function changed() {
    box.dispatchEvent(new Event("input", { bubbles: true })); // mentions, typing presence and the toolbar follow
  }

  // Inline formatting: wrap the selection in the marker, or take the marker away when it is already there.
  function wrap(marker) {
    const v = box.value;
    let s = box.selectionStart, e = box.selectionEnd;
    const m = marker.length;
    if (v.slice(s - m, s) === marker && v.slice(e, e + m) === marker) {
      box.setRangeText(v.slice(s, e), s - m, e + m, "select");
    } else if (e - s >= 2 * m && v.slice(s, s + m) === marker && v.slice(e - m, e) === marker) {
      box.setRangeText(v.slice(s + m, e - m), s, e, "select");
    } else if (s === e) {
      box.setRangeText(marker + marker, s, e, "start");
      box.setSelectionRange(s + m, s + m);
    } else {
      while (s < e && /\s/.test(v[s])) s++; // markers must touch the words they format
      while (e > s && /\s/.test(v[e - 1])) e--;
      box.setRangeText(marker + v.slice(s, e) + marker, s, e, "select");
      box.setSelectionRange(s + m, e + m);
    }
  }

  // A link: the selection becomes its label (or its address, when it is one); the part left to type is selected.
  function link() {
    const v = box.value, s = box.selectionStart, e = box.selectionEnd;
    const chosen = v.slice(s, e);
    if (/^(https?:\/\/|mailto:)\S+$/.test(chosen)) {
      box.setRangeText(`[${chosen}](${chosen})`, s, e, "start");
      box.setSelectionRange(s + 1, s + 1 + chosen.length);
    } else if (chosen) {
      box.setRangeText(`[${chosen}](https://)`, s, e, "start");
      const url = s + chosen.length + 3;
      box.setSelectionRange(url, url + "https://".length);
    } else {
      box.setRangeText("[link text](https://)", s, e, "start");
      box.setSelectionRange(s + 1, s + 1 + "link text".length);
    }
  }

  // Lists and quotes: every line the selection touches gets the prefix, or loses it when all of them have it.
  function lines(kind) {
    const v = box.value, s = box.selectionStart, e = box.selectionEnd;
    const start = v.lastIndexOf("\n", s - 1) + 1;
    let end = v.indexOf("\n", e);
    if (end < 0) end = v.length;
    const rows = v.slice(start, end).split("\n");
    const all = rows.every((r) => LINE[kind].test(r));
    const out = rows.map((r, i) => {
      if (all) return r.replace(LINE[kind], "");
      if (kind === "quote") return `> ${r}`;
      return (kind === "bullets" ? "- " : `${i + 1}. `) + r.replace(LIST, "");
    }).join("\n");
    box.setRangeText(out, start, end, s === e ? "end" : "select");
  }

  function apply(name) {
    box.focus();
    if (name === "bold") wrap("**");
    else if (name === "italic") wrap("_");
    else if (name === "link") link();
    else lines(name);
    changed();
  }

  // Which formats the caret (or selection) is in: the buttons say so (aria-pressed).
  function active() {
    const v = box.value, s = box.selectionStart, e = box.selectionEnd;
    const start = v.lastIndexOf("\n", s - 1) + 1;
    let end = v.indexOf("\n", s);
    if (end < 0) end = v.length;
    const line = v.slice(start, end);
    const on = {};
    Object.entries(INLINE).forEach(([name, pattern]) => {
      on[name] = Array.from(line.matchAll(pattern)).some((m) => {
        const from = start + m.index, to = from + m[0].length;
        return from <= s && e <= to && !(name === "italic" && /\*\*/.test(m[0]));
      });
    });
    Object.entries(LINE).forEach(([name, pattern]) => { on[name] = pattern.test(line); });
    return on;
  }

  function setup() {
    const bar = document.querySelector("[data-format-toolbar]");
    const tools = Array.from(bar.querySelectorAll("[data-format]"));
    const sync = () => {
      const on = active();
      tools.forEach((t) => t.setAttribute("aria-pressed", on[t.dataset.format] ? "true" : "false"));
    };
    bar.hidden = false;
    // One tab stop for the toolbar; the arrow keys, Home and End move along it (the toolbar pattern).
    tools.forEach((t, i) => { t.tabIndex = i === 0 ? 0 : -1; });
    bar.addEventListener("keydown", (e) => {
      const i = tools.indexOf(document.activeElement);
      const next = { ArrowRight: i + 1, ArrowLeft: i - 1 + tools.length, Home: 0, End: tools.length - 1 }[e.key];
      if (i < 0 || next === undefined) return;
      e.preventDefault();
      const n = next % tools.length;
      tools[i].tabIndex = -1;
      tools[n].tabIndex = 0;
      tools[n].focus();
    });
    bar.addEventListener("mousedown", (e) => { if (e.target.closest("[data-format]")) e.preventDefault(); });
    bar.addEventListener("click", (e) => {
      const tool = e.target.closest("[data-format]");
      if (tool) apply(tool.dataset.format);
    });
    box.addEventListener("keydown", (e) => {
      if (e.defaultPrevented) return; // the mention list took the key
      if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey) {
        const name = { b: "bold", i: "italic", k: "link" }[e.key.toLowerCase()];
        if (!name) return;
        e.preventDefault();
        e.stopPropagation(); // Ctrl+K in the composer makes a link rather than opening the Go-to palette
        apply(name);
      } else if (e.key === "Enter" && !e.ctrlKey && !e.metaKey && !e.altKey && !e.shiftKey) {
        continueList(e);
      }
    });
    ["keyup", "mouseup", "input", "focus", "select"].forEach((t) => box.addEventListener(t, sync));
    form.addEventListener("reset", () => setTimeout(sync, 0));
    sync();
  }

  // Enter in a list item starts the next item; Enter in an empty one ends the list.
  function continueList(e) {
    const v = box.value, s = box.selectionStart;
    if (s !== box.selectionEnd) return;
    const start = v.lastIndexOf("\n", s - 1) + 1;
    const line = v.slice(start, s);
    const m = line.match(/^(- |\* |(\d+)([.)]) |> )(.*)$/);
    if (!m) return;
    e.preventDefault();
    if (!m[4].trim()) {
      box.setRangeText("", start, s, "end");
    } else {
      const prefix = m[2] ? `${Number(m[2]) + 1}${m[3]} ` : m[1];
      box.setRangeText(`\n${prefix}`, s, s, "end");
    }
    changed();
  }

  // Cc, Bcc and signatures belong to an email reply: shown (and sent) only when the reply goes by email.
  function emailFields() {
    const channel = document.getElementById("channel");
    const parts = Array.from(form.querySelectorAll("[data-email-only]"));
    const show = () => {
      const mode = form.querySelector("input[name=mode]:checked");
      const email = channel && channel.value === "email" && !(mode && mode.value === "note");
      parts.forEach((p) => { p.hidden = !email; p.disabled = !email; });
    };
    if (channel) channel.addEventListener("change", show);
    form.addEventListener("change", (e) => { if (e.target.name === "mode") show(); });
    box.addEventListener("focus", show); // r and n pick the mode without a change event
    form.addEventListener("reset", () => setTimeout(show, 0));
    show();
  }

  // Snooze by keyboard: z (outside text fields) or the header's Snooze link goes to the first snooze choice.
  function snoozeControl() {
    return document.querySelector("#panel .snooze button, #panel .snooze input:not([type=hidden])");
  }
  function toSnooze() {
    const target = snoozeControl();
    if (!target) return false;
    target.scrollIntoView({ block: "center" });
    target.focus();
    return true;
  }
  document.addEventListener("keydown", (e) => {
    if (e.key !== "z" || e.ctrlKey || e.metaKey || e.altKey || document.querySelector("dialog[open]")) return;
    if (e.target.closest && e.target.closest("input, textarea, select, [contenteditable]")) return;
    if (toSnooze()) e.preventDefault();
  });
  document.addEventListener("click", (e) => {
    if (e.target.closest && e.target.closest("[data-snooze-jump]") && toSnooze()) e.preventDefault();
  });

  // A live refresh of the panel (after a reply, a delivery, a colleague's change) replaces the control a keyboard
  // user is on: the same control (by id, or name and value) gets the focus back.
  let kept = null;
  document.body.addEventListener("htmx:beforeSwap", (e) => {
    const a = document.activeElement;
    kept = null;
    if (!a || a === document.body || !e.detail.target || !e.detail.target.contains(a)) return;
    if (a.id) kept = `#${CSS.escape(a.id)}`;
    else if (a.name) kept = `${a.tagName.toLowerCase()}[name="${CSS.escape(a.name)}"][value="${CSS.escape(a.value || "")}"]`;
  });
  document.body.addEventListener("htmx:afterSettle", () => {
    const again = kept && document.querySelector(kept);
    kept = null;
    if (again && document.activeElement !== again) again.focus();
  });

  if (form && box) {
    setup();
    emailFields();
  }
})();
