// The composer's macro picker (templates/macros/_picker.html). "/" in the empty message box, or the Macros button,
// opens it; typing filters by name; arrow keys move through the list and show each macro's preview (what it writes
// and changes on this conversation, from the API, nothing written); Enter picks one and moves to Apply; Escape
// closes and puts the focus back in the message box; "/" again types the slash itself. Text from the server is
// set as text, never as HTML.
(() => {
  "use strict";
  const root = document.querySelector("[data-macro-picker]");
  if (!root) return;
  const conversation = root.dataset.conversation;
  const dialog = root.querySelector("dialog");
  const input = dialog.querySelector("#macro-q");
  const list = dialog.querySelector("#macro-list");
  const preview = dialog.querySelector("#macro-preview");
  const applyButton = dialog.querySelector("[data-macro-apply]");
  const done = root.querySelector("#macro-done");
  const box = document.getElementById("reply-text");
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  let macros = null;
  let shown = [];
  let active = -1;
  let asked = 0; // the latest preview asked for: an older answer arriving late is dropped
  let ready = null; // the macro whose preview is shown and may be applied

  const place = (m) => (m.visibility === "personal" ? "only me" : m.visibility === "team" ? "team" : "everyone");

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  async function problem(response) {
    try {
      return (await response.json()).detail || `The server answered ${response.status}.`;
    } catch {
      return `The server answered ${response.status}.`;
    }
  }

  async function load() {
    if (macros) return;
    const response = await fetch("/api/v1/macros", { headers: { Accept: "application/json" }, credentials: "same-origin" });
    macros = response.ok ? await response.json() : [];
  }

  function render() {
    const words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    shown = (macros || []).filter((m) => words.every((w) => m.name.toLowerCase().includes(w)));
    list.replaceChildren();
    shown.forEach((m, i) => {
      const li = el("li", m.name);
      li.id = `macro-option-${m.id}`;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.append(el("span", place(m), "where"));
      li.addEventListener("mousedown", (e) => e.preventDefault()); // keep the focus in the search box
      li.addEventListener("click", () => { choose(i); pick(); });
      list.append(li);
    });
    if (!shown.length) {
      const li = el("li", macros && macros.length ? "No macro matches." : "No macros yet: add one on the Macros page.");
      li.setAttribute("role", "option");
      li.setAttribute("aria-disabled", "true");
      list.append(li);
    }
    choose(shown.length ? 0 : -1);
  }

  function choose(i) {
    active = i;
    [...list.children].forEach((li, n) => li.setAttribute("aria-selected", String(n === i)));
    if (i < 0) {
      input.removeAttribute("aria-activedescendant");
      showPreview(null);
      return;
    }
    const li = list.children[i];
    input.setAttribute("aria-activedescendant", li.id);
    li.scrollIntoView({ block: "nearest" });
    showPreview(shown[i]);
  }

  function section(title, body) {
    const wrap = el("div");
    wrap.append(el("h4", title, "sr-only"), el("p", title, "hint"), body);
    return wrap;
  }

  function value(v) {
    if (v === null || v === undefined || v === "") return "none";
    return Array.isArray(v) ? v.join(", ") : String(v).replace("_", " ");
  }

  async function showPreview(macro) {
    const mine = ++asked;
    ready = null;
    applyButton.disabled = true;
    if (!macro) {
      preview.replaceChildren(el("p", "Choose a macro to see what it writes and changes here.", "hint"));
      return;
    }
    preview.replaceChildren(el("p", `Loading the preview of “${macro.name}”…`, "hint"));
    const url = `/api/v1/macros/${macro.id}/preview?conversation_id=${encodeURIComponent(conversation)}`;
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (mine !== asked) return;
    if (!response.ok) {
      preview.replaceChildren(el("p", await problem(response), "error"));
      return;
    }
    const p = await response.json();
    const parts = [];
    if (p.reply) parts.push(section(`Reply by ${p.channel}`, el("p", p.reply.text, "text")));
    if (p.note) parts.push(section("Internal note", el("p", p.note.text, "text")));
    if (p.changes.length) {
      const dl = el("dl");
      p.changes.forEach((c) => {
        const before = c.before === null || c.before === undefined ? "" : `${value(c.before)} → `;
        dl.append(el("dt", c.label), el("dd", `${before}${value(c.after ?? (c.field === "remove_tags" ? "removed" : null))}`));
      });
      parts.push(section("Changes", dl));
    }
    if (!parts.length) parts.push(el("p", "Nothing would change on this conversation.", "hint"));
    preview.replaceChildren(...parts);
    ready = macro;
    applyButton.disabled = false;
  }

  function pick() {
    if (ready && active >= 0 && ready.id === shown[active].id) applyButton.focus();
  }

  async function apply() {
    if (!ready) return;
    const macro = ready;
    applyButton.disabled = true;
    const response = await fetch(`/api/v1/macros/${macro.id}/apply`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ conversation_id: Number(conversation) }),
    });
    if (!response.ok) {
      preview.replaceChildren(el("p", await problem(response), "error"));
      input.focus();
      return;
    }
    close();
    done.textContent = `Applied the macro “${macro.name}”.`;
    for (const name of ["timeline-changed", "head-changed", "panel-changed"]) {
      document.body.dispatchEvent(new CustomEvent(name, { bubbles: true }));
    }
  }

  async function open() {
    if (dialog.open) return;
    input.value = "";
    dialog.showModal();
    input.focus();
    await load();
    render();
  }

  function close() {
    if (dialog.open) dialog.close();
  }

  input.addEventListener("input", render);
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (!shown.length) return;
      const step = e.key === "ArrowDown" ? 1 : -1;
      choose((active + step + shown.length) % shown.length);
    } else if (e.key === "Enter") {
      e.preventDefault();
      pick();
    } else if (e.key === "/" && input.value === "" && box && box.value === "") {
      // "/" twice: a message that starts with a slash, not a macro
      e.preventDefault();
      close();
      box.value = "/";
    }
  });
  dialog.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation(); // the composer's own Escape (leave the composer) is not meant
      close();
    }
  });
  dialog.addEventListener("close", () => box?.focus());
  applyButton.addEventListener("click", apply);
  dialog.querySelector("[data-macro-close]").addEventListener("click", close);
  root.querySelector("[data-macro-open]").addEventListener("click", open);
  box?.addEventListener("keydown", (e) => {
    if (e.key === "/" && !e.ctrlKey && !e.metaKey && !e.altKey && box.value.trim() === "") {
      e.preventDefault();
      open();
    }
  });
})();
