() => {
  // A click on a [n] footnote in the chat opens that source in the sources panel: the
  // marker's href names the message and the citation; a hidden textbox carries it to
  // the server (the timestamp makes a repeated click a new value).
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a.nd-cite");
    if (!link) return;
    const m = /#nd-cite-(\d+)-(\d+)$/.exec(link.getAttribute("href") || "");
    if (!m) return;
    event.preventDefault();
    event.stopPropagation();
    const box = document.querySelector("#nd-pick textarea, #nd-pick input");
    if (!box) return;
    box.value = `${m[1]}:${m[2]}:${Date.now()}`;
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }, true);
}
