() => {
  // A click on a [n] footnote in the chat opens that source in the sources panel: the
  // marker's href names the message and the citation; a hidden textbox carries it to
  // the server (the timestamp makes a repeated click a new value). The marker flashes
  // at once; when the panel shows that citation, its sentence is scrolled into view
  // (on a phone the panel is below the conversation) and flashes.
  let pending = null;
  const reveal = () => {
    if (!pending) return;
    if (Date.now() > pending.until) { pending = null; return; }
    const panel = document.querySelector("#nd-sources .nd-sources");
    if (!panel || panel.dataset.msg !== pending.msg) return;
    const source = panel.querySelector(`#nd-source-${pending.n}.nd-chosen`);
    if (!source) return;
    pending = null;
    const target = source.querySelector("mark.nd-highlight") || source;
    target.scrollIntoView({ behavior: "smooth", block: "center", inline: "nearest" });
    source.classList.remove("nd-flash");
    void source.offsetWidth;  // restart the animation on a repeated tap
    source.classList.add("nd-flash");
  };
  new MutationObserver(reveal).observe(document.body, { subtree: true, childList: true });
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a.nd-cite");
    if (!link) return;
    const m = /#nd-cite-(\d+)-(\d+)$/.exec(link.getAttribute("href") || "");
    if (!m) return;
    event.preventDefault();
    event.stopPropagation();
    link.classList.add("nd-pressed");
    setTimeout(() => link.classList.remove("nd-pressed"), 700);
    const box = document.querySelector("#nd-pick textarea, #nd-pick input");
    if (!box) return;
    pending = { msg: m[1], n: m[2], until: Date.now() + 15000 };
    reveal();  // at once when the panel already shows it, else when the server's panel arrives
    box.value = `${m[1]}:${m[2]}:${Date.now()}`;
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }, true);
}
