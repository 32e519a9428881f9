"""What every search benchmark shares: the officials' 30 questions (with their filters) and the latency figures."""

from __future__ import annotations

import numpy as np

# (query, filters as /search parameters): questions officials of small and mid-sized comuni actually ask
QUERIES: list[tuple[str, dict[str, list[str]]]] = [
    ("come ha fatto un piccolo comune a creare una comunità energetica?", {}),
    ("bandi aperti per piste ciclabili", {"doc_type": ["bando"], "bando_status": ["aperto"]}),
    ("illuminazione pubblica LED PNRR", {}),
    ("comunità energetica rinnovabile comune sotto i 5000 abitanti", {"doc_type": ["buona_pratica"]}),
    ("raccolta differenziata porta a porta tariffa puntuale", {}),
    ("efficientamento energetico delle scuole comunali", {}),
    ("riqualificazione energetica edifici pubblici finanziamenti", {"doc_type": ["bando"]}),
    ("mobilità sostenibile casa-scuola pedibus", {"regione": ["Lombardia"]}),
    ("forestazione urbana e censimento degli alberi", {}),
    ("de-impermeabilizzazione dei suoli e drenaggio urbano sostenibile", {}),
    ("bilancio partecipativo per il verde pubblico", {"doc_type": ["buona_pratica"]}),
    ("centro del riuso e repair café", {}),
    ("normativa sulle comunità energetiche rinnovabili", {"doc_type": ["normativa"]}),
    ("obblighi di legge per il piano di adattamento ai cambiamenti climatici", {"doc_type": ["normativa"]}),
    ("contributi regionali per impianti fotovoltaici su edifici comunali", {"bando_status": ["aperto"]}),
    ("mense scolastiche biologiche e riduzione dello spreco alimentare", {}),
    ("gestione sostenibile dell'acqua e riduzione delle perdite di rete", {}),
    ("colonnine di ricarica per veicoli elettrici nel comune", {}),
    ("bilancio di genere e servizi per l'infanzia", {"doc_type": ["buona_pratica"]}),
    ("esperienze di comuni lombardi sul risparmio energetico", {"regione": ["Lombardia"]}),
    ("progetti di economia circolare finanziati dal PNRR", {"doc_type": ["progetto"]}),
    ("acquisti verdi della pubblica amministrazione CAM", {}),
    ("rigenerazione urbana di aree dismesse", {}),
    ("inclusione sociale e contrasto alla povertà energetica", {}),
    ("scadenza bando efficienza energetica per comuni", {"doc_type": ["bando"], "bando_status": ["aperto"]}),
    ("piano urbano della mobilità sostenibile PUMS", {}),
    ("agricoltura urbana e orti sociali", {"regione": ["Lombardia"]}),
    ("riduzione delle emissioni di CO2 del patrimonio comunale", {}),
    ("chi può partecipare ai bandi per la transizione ecologica dei comuni?", {"doc_type": ["bando"]}),
    ("Agenda 2030 strategia locale di sviluppo sostenibile", {}),
]


def percentiles(samples_s: list[float]) -> tuple[float, float]:
    """(p50, p95) in milliseconds."""
    p50, p95 = np.percentile(np.asarray(samples_s) * 1000.0, [50, 95])
    return round(float(p50), 2), round(float(p95), 2)


def tail(samples_s: list[float]) -> dict[str, float | int]:
    """p99, max and the number of samples over 100 ms (pauses, not query cost), in milliseconds."""
    ms = np.asarray(samples_s) * 1000.0
    return {"p99": round(float(np.percentile(ms, 99)), 2), "max": round(float(ms.max()), 2),
            "over_100ms": int((ms > 100.0).sum())}
