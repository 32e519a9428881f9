"""The Italian cues of each document type: how a call, an act, a project sheet and a practice are written.

A call (`bando`) has addressees, an endowment, rules for applying and a deadline; an act (`normativa`) has a
number, articles, commas, recitals and a state of force; a project sheet (`progetto`) has a CUP, a quadro economico,
a timetable and works still to be done (future tense); a practice (`buona_pratica`) tells what a comune did, what
came of it and what it learned (past tense). Each cue is a regular expression; the classifier counts them
(`ingest/enrich/doctype.py`), and the names are what a refusal or a provenance note shows.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE
_M = re.IGNORECASE | re.MULTILINE

CUES: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {
    "buona_pratica": (
        ("buona pratica", re.compile(r"\bbuon[ae]\s+pratic[ah]e?\b|\besperienz[ae]\b|\bcaso\s+di\s+studio\b", _I)),
        ("lezioni apprese", re.compile(r"\blezioni\s+apprese\b|\bcosa\s+(ha|non\s+ha)\s+funzionato\b|"
                                       r"\b(criticità|difficoltà)\s+(incontrate|emerse)\b|\bpunti\s+di\s+forza\b|"
                                       r"\bcon\s+il\s+senno\s+di\s+poi\b", _I)),
        ("risultati ottenuti", re.compile(r"\brisultati\s+(ottenuti|raggiunti|misurabili|misurati)\b|"
                                          r"\b(ha|hanno)\s+(permesso|consentito|ridotto|portato)\b", _I)),
        ("il comune ha fatto", re.compile(r"\b(il\s+comune|l'amministrazione|la\s+giunta)\s+ha\s+\w+", _I)),
        ("racconto al passato", re.compile(r"\b(è|sono)\s+stat[oaie]\s+\w+|\b(ha|hanno|abbiamo)\s+\w+(ato|ito|uto)\b",
                                           _I)),
        ("replicabilità", re.compile(r"\breplicabil|\btrasferibil|\bchi\s+vuole\s+(replicare|ripetere)", _I)),
        ("azioni realizzate", re.compile(r"\b(azioni|interventi|attività)\s+(realizzat|svolt|attuat)|"
                                         r"\bcome\s+è\s+andata\b", _I)),
        ("tempo trascorso", re.compile(r"\bdopo\s+(\w+\s+)?(anni|mesi)\b|\bnel\s+primo\s+anno\b", _I)),
        ("contatti", re.compile(r"^\W*(contatti|per\s+saperne\s+di\s+più|referente)\b", _M)),
    ),
    "progetto": (
        ("CUP", re.compile(r"\bCUP\b|(?i:\bcodice\s+unico\s+di\s+progetto\b)")),
        ("quadro economico", re.compile(r"\bquadro\s+economico\b|\bsomme\s+a\s+disposizione\b|\bimporto\s+"
                                        r"(dei\s+)?lavori\b|\boneri\s+(per\s+la\s+)?sicurezza\b", _I)),
        ("cronoprogramma", re.compile(r"\bcronoprogramma\b|\bdurata\s+(dei\s+lavori|del\s+progetto)\b|"
                                      r"\bfine\s+lavori\b|\bconsegna\s+dei\s+lavori\b", _I)),
        ("RUP", re.compile(r"\bRUP\b|(?i:\bresponsabile\s+unico\s+del\s+(procedimento|progetto)\b|\bdirezione\s+"
                           r"(dei\s+)?lavori\b)")),
        ("livello di progettazione", re.compile(r"\bprogett[oi]\s+(di\s+fattibilità|esecutiv|definitiv)|"
                                                r"\bcomputo\s+metrico\b|\bcapitolato\b|\bstato\s+di\s+fatto\b",
                                                _I)),
        ("interventi previsti", re.compile(r"\b(interventi|opere|lavori|azioni|attività)\s+(previst[ei]|in\s+"
                                           r"progetto|da\s+realizzare)\b|\brisultati\s+attesi\b", _I)),
        ("indicatori", re.compile(r"\bindicator[ei]\s+(di\s+(risultato|realizzazione|output)|attes)|\btarget\b",
                                  _I)),
        ("DNSH/CAM", re.compile(r"\bDNSH\b|\bCAM\b|(?i:\bcriteri\s+ambientali\s+minimi\b)")),
        ("verbi al futuro", re.compile(r"\b\w{3,}(erà|eranno|irà|iranno|arà|aranno)\b", _I)),
        ("soggetto attuatore", re.compile(r"\b(soggetto|ente)\s+(attuatore|proponente)\b", _I)),
    ),
    "normativa": (
        ("articoli", re.compile(r"^\W*(art\.|articolo)\s*\d+|\bart(\.|icolo)\s*\d+\s*,\s*comma\b", _M)),
        ("commi", re.compile(r"\bcomm[ai]\s+\d+|\blettera\s+[a-z]\)", _I)),
        ("Gazzetta Ufficiale", re.compile(r"\bgazzetta\s+ufficiale\b|\bG\.\s?U\.|\bGUUE\b|\bB\.?U\.?R\.?[A-Z]?\b|"
                                          r"\bbollettino\s+ufficiale\b", _I)),
        ("vigenza", re.compile(r"\bin\s+vigore\b|\bvigenza\b|\babrogat[oaie]\b|\babroga\b", _I)),
        ("l'atto", re.compile(r"\b(il\s+presente|questo|del|il)\s+(decreto|regolamento|direttiva|legge|codice|"
                              r"testo\s+unico)\b|\bla\s+(direttiva|legge|norma)\b", _I)),
        ("Stati membri", re.compile(r"\bstati\s+membri\b|\brecepi(mento|sce|ta|to)\b|\battuazione\s+della\s+"
                                    r"direttiva\b", _I)),
        ("disposizioni", re.compile(r"\bdisposizion[ei]\b|\bdisciplin[ao]\b|\bprescriv|\bdispone\b|\bsancisce\b|"
                                    r"\bstabilisce\b", _I)),
        ("preambolo", re.compile(r"^\W*(visto|vista|visti|viste|considerato|considerando|decreta|emana)\b", _M)),
        ("capi e titoli", re.compile(r"^\W*(capo|titolo|sezione|allegato)\s+[IVXLC]+\b", _M)),
        ("obblighi e sanzioni", re.compile(r"\bsanzion[ei]\b|\bobblig[ohi]\b", _I)),
    ),
    "bando": (
        ("avviso/bando", re.compile(r"\b(il|del|dal|nel|presente|questo)\s+(avviso|bando)\b", _I)),
        ("beneficiari", re.compile(r"\bsoggetti\s+(beneficiari|ammessi|destinatari)\b|\bbeneficiari\b", _I)),
        ("domanda", re.compile(r"\b(domand[ae]|istanz[ae])\s+di\s+(partecipazione|contributo|finanziamento|"
                               r"ammissione)\b|\bpresentazione\s+delle\s+(domande|istanze|candidature)\b|"
                               r"\bpresentare\s+(la\s+)?(domanda|candidatura)\b", _I)),
        ("scadenza", re.compile(r"\bscadenz[ae]\b|\bentro\s+(e\s+non\s+oltre\s+)?(le\s+ore|il\s+(giorno\s+)?\d)",
                                _I)),
        ("dotazione finanziaria", re.compile(r"\bdotazione\s+(finanziaria|complessiva)\b|\brisorse\s+"
                                             r"(disponibili|stanziate)\b", _I)),
        ("contributo massimo", re.compile(r"\bcontributo\s+(massimo|minimo|concedibile|a\s+fondo\s+perduto)\b|"
                                          r"\bintensità\s+(del\s+contributo|dell'aiuto)\b", _I)),
        ("spese ammissibili", re.compile(r"\b(spese|interventi|costi|progetti)\s+(non\s+)?ammissibili\b|"
                                         r"\bammissibilità\b", _I)),
        ("criteri di valutazione", re.compile(r"\bcriteri\s+di\s+(valutazione|selezione|priorità)\b|"
                                              r"\bgraduatori[ae]\b|\bpunteggi[oi]?\b", _I)),
        ("cofinanziamento", re.compile(r"\bcofinanziament[oi]\b", _I)),
        ("rendicontazione", re.compile(r"\brendicontazione\b|\brevoca\s+del\s+contributo\b|\berogazione\s+del\s+"
                                       r"contributo\b", _I)),
        ("modalità di presentazione", re.compile(r"\bmodalità\s+di\s+(presentazione|partecipazione)\b|\bPEC\b|"
                                                 r"\bpiattaforma\s+(telematica|online|informatica|regionale|"
                                                 r"ministeriale)\b", _I)),
    ),
}
