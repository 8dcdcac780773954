// The command palette: Ctrl+K (⌘K on a Mac) opens a box that jumps to a conversation by number, a customer, a
// view, a page or an action. Results come from /palette as options of a listbox; arrows choose, Enter goes.
(() => {
  "use strict";
  const dialog = document.getElementById("palette");
  const box = document.getElementById("palette-q");
  const list = document.getElementById("palette-list");
  if (!dialog || !box || !list) return;
  let asked = 0;

  const options = () => Array.from(list.querySelectorAll("[role=option]:not([aria-disabled=true])"));
  function choose(i) {
    const all = options();
    all.forEach((o, n) => o.setAttribute("aria-selected", n === i ? "true" : "false"));
    if (all[i]) {
      box.setAttribute("aria-activedescendant", all[i].id);
      all[i].scrollIntoView({ block: "nearest" });
    } else {
      box.removeAttribute("aria-activedescendant");
    }
  }
  const current = () => options().findIndex((o) => o.getAttribute("aria-selected") === "true");

  async function search() {
    const mine = ++asked; // only the answer to the latest keystroke is shown
    const response = await fetch(`/palette?q=${encodeURIComponent(box.value)}`, {
      credentials: "same-origin",
      headers: { "HX-Request": "true" },
    });
    if (mine !== asked) return;
    if (response.status === 401) { window.location.href = "/sign-in"; return; }
    list.innerHTML = await response.text();
    choose(options().length ? 0 : -1);
  }
  let timer = null;
  box.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, 120); });

  function go(option) {
    if (!option) return;
    const href = option.dataset.href;
    dialog.close();
    if (href === "#shortcuts") { document.getElementById("shortcuts").showModal(); return; }
    window.location.href = href;
  }
  box.addEventListener("keydown", (e) => {
    const n = options().length;
    if (e.key === "ArrowDown" && n) { e.preventDefault(); choose((current() + 1) % n); }
    else if (e.key === "ArrowUp" && n) { e.preventDefault(); choose((current() - 1 + n) % n); }
    else if (e.key === "Enter") { e.preventDefault(); go(options()[current()]); }
  });
  list.addEventListener("click", (e) => go(e.target.closest && e.target.closest("[role=option]:not([aria-disabled=true])")));

  function open() {
    if (dialog.open) return;
    box.value = "";
    dialog.showModal();
    box.focus();
    search();
  }
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === "k") {
      e.preventDefault();
      open();
    }
  });
  document.addEventListener("click", (e) => {
    if (e.target.closest && e.target.closest("[data-palette]")) open();
  });
})();
