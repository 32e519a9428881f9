// <kb-search>: the knowledge base's search for any portal page, with one tag:
//   <script src="https://SERVIZIO/static/kb-search.js" data-doc-type="bando"></script>
// The script defines the element and, if the page has none, puts one where the script is (data-* attributes become
// the element's). Or place <kb-search doc-type="bando" regione="Lombardia" limit="5"></kb-search> yourself.
// Styles live in a shadow root (the portal's CSS does not leak in, ours does not leak out); data comes from the JSON
// API through CORS (the service must list the portal's origin in KB_CORS_ORIGINS). A service with a read key
// (KB_READ_API_KEY) needs it in `data-api-key`: it is visible to anyone who reads the page, so use it on intranets.
(() => {
  const script = document.currentScript;
  const defaultApi = script ? new URL(script.src).origin : window.location.origin;
  const FIXED = ["doc-type", "regione", "sdg", "theme", "bando-status"];
  const TYPES = { buona_pratica: "Buona pratica", progetto: "Progetto", normativa: "Normativa", bando: "Bando" };
  const STATUS = { aperto: "Aperto", in_arrivo: "In arrivo", scaduto: "Scaduto" };
  const STYLE = `
    :host { display: block; font-family: system-ui, sans-serif; color: #1a1a1a; line-height: 1.45; }
    form { display: flex; gap: .5rem; flex-wrap: wrap; }
    label { width: 100%; font-weight: 600; }
    input { flex: 1; font: inherit; padding: .4rem .5rem; border: 1px solid #5c6f82; border-radius: 4px; }
    button { font: inherit; font-weight: 600; background: #0066cc; color: #fff; border: 0; border-radius: 4px;
             padding: .4rem 1rem; cursor: pointer; }
    :focus { outline: 3px solid #ff9900; outline-offset: 2px; }
    ol { list-style: none; padding: 0; margin: .75rem 0 0; }
    li { border-bottom: 1px solid #d9dadb; padding: .5rem 0; }
    .tipo { font-size: .8rem; font-weight: 700; text-transform: uppercase; color: #455b71; margin: 0; }
    .aperto { color: #00703c; } .scaduto { color: #a61919; } .in_arrivo { color: #7a4d00; }
    a { color: #0066cc; } h3 { font-size: 1.05rem; margin: .1rem 0; }
    mark { background: #ffe58f; color: inherit; } p.testo { margin: .2rem 0; font-size: .95rem; }
    .stato { font-size: .9rem; color: #455b71; }`;

  class KbSearch extends HTMLElement {
    connectedCallback() {
      if (this.shadowRoot) return;
      const root = this.attachShadow({ mode: "open" });
      const id = `kb-q-${Math.random().toString(36).slice(2, 8)}`;
      root.innerHTML = `<style>${STYLE}</style>
        <form role="search">
          <label for="${id}">${this.getAttribute("label") || "Cerca nella base di conoscenza dei comuni sostenibili"}</label>
          <input id="${id}" name="q" type="search" maxlength="500" required>
          <button type="submit">Cerca</button>
        </form>
        <p class="stato" role="status" aria-live="polite"></p>
        <ol></ol>`;
      const input = root.querySelector("input");
      input.placeholder = this.getAttribute("placeholder") || "es. comunità energetica in un piccolo comune";
      root.querySelector("form").addEventListener("submit", (event) => {
        event.preventDefault();
        this.search(input.value.trim());
      });
      if (this.getAttribute("q")) { input.value = this.getAttribute("q"); this.search(input.value); }
    }

    get api() { return (this.getAttribute("api") || defaultApi).replace(/\/$/, ""); }

    async search(q) {
      const root = this.shadowRoot;
      const status = root.querySelector(".stato");
      const list = root.querySelector("ol");
      if (!q) return;
      const params = new URLSearchParams({ q, page_size: this.getAttribute("limit") || "5" });
      for (const name of FIXED) {
        for (const value of (this.getAttribute(name) || "").split(",").map((v) => v.trim()).filter(Boolean)) {
          params.append(name.replace("-", "_"), value);
        }
      }
      status.textContent = "Ricerca in corso…";
      list.replaceChildren();
      try {
        const key = this.getAttribute("api-key");
        const response = await fetch(`${this.api}/search?${params}`, key ? { headers: { "X-API-Key": key } } : {});
        const body = await response.json();
        if (!response.ok) { status.textContent = `Errore: ${body.error.message}`; return; }
        status.textContent = body.total ? `${body.total} documenti trovati` : "Nessun documento trovato";
        for (const result of body.results) list.append(this.item(result));
        if (body.total > body.results.length) {
          const more = document.createElement("li");
          const link = document.createElement("a");
          link.href = `${this.api}/?${params}`;
          link.textContent = "Vedi tutti i risultati";
          more.append(link);
          list.append(more);
        }
      } catch (error) {
        status.textContent = "Il servizio di ricerca non è raggiungibile.";
      }
    }

    item(result) {
      const li = document.createElement("li");
      const kind = document.createElement("p");
      kind.className = "tipo";
      kind.textContent = TYPES[result.doc_type] || result.doc_type;
      if (result.bando_status) {
        const state = document.createElement("span");
        state.className = result.bando_status;
        state.textContent = ` · ${STATUS[result.bando_status]}`;
        kind.append(state);
      }
      const title = document.createElement("h3");
      const link = document.createElement("a");
      link.href = result.file_url;
      link.textContent = result.title || result.doc_id;
      title.append(link);
      li.append(kind, title);
      const passage = result.passages[0];
      if (passage) {
        const text = document.createElement("p");
        text.className = "testo";
        text.innerHTML = passage.html; // escaped by the service, only <mark> added
        const cite = document.createElement("a");
        cite.href = passage.citation.url;
        cite.textContent = passage.citation.page_start ? ` (p. ${passage.citation.page_start})` : " (fonte)";
        text.append(cite);
        li.append(text);
      }
      return li;
    }
  }

  if (!customElements.get("kb-search")) customElements.define("kb-search", KbSearch);
  if (script && !document.querySelector("kb-search")) {
    const element = document.createElement("kb-search");
    for (const [key, value] of Object.entries(script.dataset)) {
      element.setAttribute(key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), value);
    }
    script.after(element);
  }
})();
