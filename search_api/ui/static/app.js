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
