// Progressive enhancement: the pages work without JavaScript (forms submit normally).
document.addEventListener("DOMContentLoaded", () => {
  // Checking a facet re-runs the search at once (the "Applica i filtri" button stays for keyboards and no-JS).
  const search = document.getElementById("modulo-ricerca");
  if (search) {
    search.querySelectorAll(".filtri input[type=checkbox]").forEach((box) =>
      box.addEventListener("change", () => search.submit()));
  }
  // Submission form: sends the file with the key header, then follows the ingestion status.
  const upload = document.getElementById("modulo-invio");
  const outcome = document.getElementById("esito-invio");
  if (upload && outcome) {
    upload.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(upload);
      const key = data.get("chiave");
      data.delete("chiave");
      if (!data.get("metadata")) data.delete("metadata");
      if (!data.get("doc_type")) data.delete("doc_type");  // left to the text
      outcome.textContent = "Invio in corso…";
      const response = await fetch("/documents", { method: "POST", body: data, headers: { "X-API-Key": key } });
      const body = await response.json();
      if (!response.ok) { outcome.textContent = `Errore: ${body.error.message}`; return; }
      const follow = async () => {
        // the write key also opens reads, for a service that has a read key too
        const status = await (await fetch(body.status_url, { headers: { "X-API-Key": key } })).json();
        outcome.textContent = `Documento ${status.doc_id}: ${status.status.replace("_", " ")}` +
          (status.message ? ` (${status.message})` : "");
        if (["in_coda", "in_elaborazione"].includes(status.status)) setTimeout(follow, 1000);
      };
      follow();
    });
  }
});

// Raccolte (collections). A collection's edit key lives in this browser's storage, never in a URL the server sees
// (an edit link carries it after #, which browsers do not send); writes send it in X-Collection-Key.
const raccolte = {
  all() {
    try { return JSON.parse(localStorage.getItem("kb-raccolte") || "{}"); } catch { return {}; }
  },
  save(id, key, title) {
    const all = raccolte.all();
    all[id] = { key, title };
    localStorage.setItem("kb-raccolte", JSON.stringify(all));
  },
  forget(id) {
    const all = raccolte.all();
    delete all[id];
    localStorage.setItem("kb-raccolte", JSON.stringify(all));
  },
  async call(method, url, body, key) {
    const headers = { "Content-Type": "application/json" };
    if (key) headers["X-Collection-Key"] = key;
    const payload = body === undefined || typeof body === "string" ? body : JSON.stringify(body);
    const response = await fetch(url, { method, headers, body: payload });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error ? data.error.message : `errore ${response.status}`);
    return data;
  },
  link(text, href) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  },
};

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".aggiungi-raccolta").forEach((button) => { button.hidden = false; });
  // "Aggiungi alla raccolta": the chooser dialog (an existing collection of this browser, or a new one)
  const dialog = document.getElementById("scelta-raccolta");
  if (dialog) {
    const list = document.getElementById("scelta-elenco");
    const fresh = document.getElementById("scelta-nuova");
    const title = document.getElementById("scelta-titolo");
    const note = document.getElementById("scelta-nota");
    const error = document.getElementById("scelta-errore");
    const done = document.getElementById("esito-aggiunta");
    let target = null;
    const toggle = () => { fresh.hidden = list.value !== ""; title.required = list.value === ""; };
    list.addEventListener("change", toggle);
    document.addEventListener("click", (event) => {
      const button = event.target.closest(".aggiungi-raccolta");
      if (!button) return;
      target = { doc: button.dataset.doc, title: button.dataset.titolo, passage: button.dataset.passaggio, button };
      document.getElementById("scelta-documento").textContent =
        target.passage === undefined ? `«${target.title}»` : `Un passaggio di «${target.title}»`;
      const mine = Object.entries(raccolte.all()).map(([id, r]) => new Option(r.title, id));
      list.replaceChildren(new Option("Nuova raccolta", ""), ...mine);
      const last = localStorage.getItem("kb-raccolte-ultima");
      if (last && raccolte.all()[last]) list.value = last;
      title.value = note.value = "";
      error.hidden = true;
      toggle();
      dialog.showModal();
    });
    document.getElementById("scelta-annulla").addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => { if (target) target.button.focus(); });
    document.getElementById("modulo-scelta").addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        let id = list.value;
        if (!id) {
          const created = await raccolte.call("POST", "/raccolte", { title: title.value });
          raccolte.save(created.id, created.edit_key, created.title);
          id = created.id;
        }
        const body = { doc_id: target.doc };
        if (target.passage !== undefined) body.passages = [Number(target.passage)];
        if (note.value.trim()) body.note = note.value;
        const key = raccolte.all()[id].key;
        const shown = await raccolte.call("POST", `/raccolte/${id}/voci`, body, key);
        raccolte.save(id, key, shown.title);
        localStorage.setItem("kb-raccolte-ultima", id);
        dialog.close();
        done.replaceChildren(`Aggiunto a «${shown.title}» (${shown.count} ${shown.count === 1 ? "voce" : "voci"}). `,
                             raccolte.link("Apri la raccolta", shown.page_url));
      } catch (failure) {
        error.textContent = `Errore: ${failure.message}`;
        error.hidden = false;
      }
    });
  }

  // The collections page: those this browser can edit, creating one, importing an exported file
  const mineList = document.getElementById("mie-raccolte");
  if (mineList) {
    const outcome = document.getElementById("esito-elenco");
    const show = () => {
      const all = Object.entries(raccolte.all());
      mineList.replaceChildren(...all.map(([id, r]) => {
        const item = document.createElement("li");
        item.append(raccolte.link(r.title, `/ui/raccolte/${id}`));
        return item;
      }));
      document.getElementById("nessuna-raccolta").hidden = all.length > 0;
    };
    const created = (c) => {
      raccolte.save(c.id, c.edit_key, c.title);
      show();
      outcome.replaceChildren(`Raccolta «${c.title}» creata: la chiave di modifica è conservata in questo browser ` +
                              "(il link di modifica, per usarla altrove, è nella pagina della raccolta). ",
                              raccolte.link("Apri la raccolta", c.page_url));
    };
    const fail = (failure) => { outcome.textContent = `Errore: ${failure.message}`; };
    show();
    const form = document.getElementById("modulo-nuova-raccolta");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const body = { title: data.get("title") };
      if (data.get("intro").trim()) body.intro = data.get("intro");
      try { created(await raccolte.call("POST", "/raccolte", body)); form.reset(); } catch (failure) { fail(failure); }
    });
    const upload = document.getElementById("modulo-importa-raccolta");
    upload.addEventListener("submit", async (event) => {
      event.preventDefault();
      const file = document.getElementById("file-raccolta").files[0];
      try { created(await raccolte.call("POST", "/raccolte", await file.text())); upload.reset(); } catch (failure) {
        fail(failure);
      }
    });
  }

  // A collection's page: with its edit key here (or in the #chiave= of an edit link), the editing controls
  const page = document.getElementById("raccolta");
  if (page) {
    const id = page.dataset.id;
    const status = document.getElementById("esito-raccolta");
    const say = (text) => { status.textContent = text; };
    const heading = document.getElementById("titolo-raccolta");
    if (location.hash.startsWith("#chiave=")) {
      raccolte.save(id, decodeURIComponent(location.hash.slice(8)), heading.textContent);
      history.replaceState(null, "", location.pathname);  // the key out of the address bar and the history
    }
    const copy = document.getElementById("copia-link");
    copy.hidden = false;
    copy.addEventListener("click", async () => {
      const field = document.getElementById("link-pubblico");
      field.select();
      try { await navigator.clipboard.writeText(field.value); say("Link pubblico copiato"); } catch {
        say("Link selezionato: premere Ctrl+C per copiarlo");
      }
    });
    const mine = raccolte.all()[id];
    if (!mine) return;
    const api = (method, path, body) => raccolte.call(method, `/raccolte/${id}${path}`, body, mine.key);
    document.getElementById("modifica-raccolta").hidden = false;
    document.getElementById("link-modifica").value = `${page.dataset.pagina}#chiave=${encodeURIComponent(mine.key)}`;
    page.querySelectorAll(".comandi-voce").forEach((controls) => { controls.hidden = false; });
    const form = document.getElementById("modulo-raccolta");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      try {
        const shown = await api("PATCH", "", { title: data.get("title"), intro: data.get("intro") });
        heading.textContent = shown.title;
        const intro = document.getElementById("intro-raccolta");
        intro.textContent = shown.intro || "";
        intro.hidden = !shown.intro;
        raccolte.save(id, mine.key, shown.title);
        say("Titolo e introduzione salvati");
      } catch (failure) { say(`Errore: ${failure.message}`); }
    });
    document.getElementById("elimina-raccolta").addEventListener("click", async () => {
      if (!window.confirm("Eliminare la raccolta? L'operazione non si può annullare.")) return;
      try {
        await api("DELETE", "");
        raccolte.forget(id);
        window.location.assign("/ui/raccolte");
      } catch (failure) { say(`Errore: ${failure.message}`); }
    });
    const items = document.getElementById("voci");
    items.addEventListener("click", async (event) => {
      const button = event.target.closest("button");
      if (!button) return;
      const item = button.closest(".voce");
      const voce = item.dataset.voce;
      const name = item.querySelector("h3").textContent.trim();
      try {
        if (button.classList.contains("sposta")) {
          const all = [...items.children];
          const from = all.indexOf(item);
          const to = from + Number(button.dataset.verso);
          if (to < 0 || to >= all.length) {
            say(`«${name}» è già ${to < 0 ? "la prima" : "l'ultima"} voce`);
            return;
          }
          await api("PATCH", `/voci/${voce}`, { position: to });
          items.insertBefore(item, to < from ? all[to] : all[to].nextSibling);
          button.focus();  // moving the element took the focus away
          say(`«${name}» spostata in posizione ${to + 1} di ${all.length}`);
        } else if (button.classList.contains("salva-nota")) {
          const text = item.querySelector(".campo-nota").value.trim();
          await api("PATCH", `/voci/${voce}`, { note: text });
          const shown = item.querySelector(".nota-voce");
          shown.querySelector("span").textContent = text;
          shown.hidden = !text;
          say(text ? `Nota salvata per «${name}»` : `Nota tolta da «${name}»`);
        } else if (button.classList.contains("togli")) {
          await api("DELETE", `/voci/${voce}`);
          const next = item.nextElementSibling || item.previousElementSibling;
          item.remove();
          (next ? next.querySelector("button.sposta") : document.getElementById("titolo-voci")).focus();
          say(`«${name}» tolta dalla raccolta`);
        }
      } catch (failure) { say(`Errore: ${failure.message}`); }
    });
  }
});
