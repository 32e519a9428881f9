"""Short documents of each type, written for the tests (not from the corpus), and texts of none of the four types:
what a newcomer's folder of unlabelled files holds."""

from __future__ import annotations

TYPED = {
    "bando": """# Avviso pubblico per contributi alla sostituzione delle caldaie negli edifici comunali

## Finalità
La Regione sostiene i comuni che sostituiscono le caldaie a gasolio degli edifici pubblici con pompe di calore.

## Soggetti beneficiari
Possono presentare domanda i comuni con meno di 10.000 abitanti e le unioni di comuni.

## Dotazione finanziaria
La dotazione finanziaria del presente avviso è di 4.000.000 di euro. Il contributo massimo per ente è di 150.000
euro, pari all'80% della spesa ammissibile; il cofinanziamento dell'ente è almeno del 20%.

## Spese ammissibili
Sono ammissibili le spese per la fornitura e la posa delle pompe di calore, la progettazione e il collaudo.

## Presentazione delle domande
La domanda di partecipazione va presentata tramite PEC dal 1 marzo 2026 ed entro il 30 giugno 2026, ore 16.00.
La scadenza è perentoria. Le domande sono valutate secondo i criteri di valutazione indicati all'allegato A e
inserite in una graduatoria pubblicata sul sito della Regione. La rendicontazione delle spese avviene entro dodici mesi.
""",
    "normativa": """# Legge regionale 12 marzo 2024, n. 7: disposizioni per la riduzione dello spreco alimentare

## Art. 1 - Finalità
1. La presente legge disciplina le misure regionali per ridurre lo spreco alimentare nelle mense pubbliche.

## Art. 2 - Definizioni
1. Ai fini della presente legge si intende per eccedenza alimentare il cibo prodotto e non consumato.

## Art. 3 - Obblighi dei gestori
1. I gestori delle mense pubbliche sono soggetti all'obbligo di donare le eccedenze agli enti caritativi.
2. Le disposizioni del comma 1 si applicano dal 1° gennaio 2025.

## Art. 4 - Sanzioni
1. La violazione dell'obbligo di cui all'articolo 3, comma 1, comporta una sanzione amministrativa.

## Art. 5 - Entrata in vigore
1. La presente legge entra in vigore il giorno successivo alla pubblicazione nel Bollettino ufficiale della Regione.
""",
    "progetto": """# Progetto di riqualificazione energetica della scuola primaria di via Verdi

## Scheda di progetto
Soggetto attuatore: Comune di Roccalta. CUP: B45F24000120001. RUP: responsabile dell'Area tecnica.

## Stato di fatto
L'edificio del 1968 ha serramenti a vetro singolo, una caldaia a gasolio e nessun isolamento della copertura.

## Interventi previsti
Il progetto prevede l'isolamento a cappotto, la sostituzione dei serramenti e una pompa di calore. I lavori
inizieranno a luglio 2026 e si concluderanno entro marzo 2027; l'impianto fotovoltaico coprirà il 40% dei consumi.

## Quadro economico
Importo dei lavori 620.000 euro, oneri per la sicurezza 18.000 euro, somme a disposizione 112.000 euro.

## Cronoprogramma
Progetto esecutivo entro aprile 2026, consegna dei lavori a luglio 2026, fine lavori a marzo 2027.

## Risultati attesi e indicatori
Indicatori di risultato: consumo di energia primaria ridotto del 60%, classe energetica da G ad A2.
""",
    "buona_pratica": """# Come Borgofranco ha dimezzato i rifiuti indifferenziati con il porta a porta

## Contesto
Nel 2019 il comune di Borgofranco aveva una raccolta differenziata ferma al 38%.

## Azioni realizzate
Il comune ha eliminato i cassonetti stradali e ha avviato la raccolta porta a porta. Sono stati organizzati
incontri con le famiglie e sono state distribuite le compostiere domestiche.

## Risultati ottenuti
Dopo due anni la differenziata è arrivata all'81% e la tariffa è scesa per il 70% delle famiglie. La
sperimentazione ha permesso di ridurre del 52% i rifiuti indifferenziati.

## Lezioni apprese
I primi mesi sono stati difficili: gli abbandoni di rifiuti sono aumentati. Con il senno di poi, avremmo dovuto
coinvolgere prima i condomini. L'esperienza è replicabile nei comuni di dimensioni simili.

## Contatti
Ufficio ambiente del comune di Borgofranco.
""",
}

OUTSIDE = {
    "menu": """# Menù della mensa scolastica

Lunedì: pasta al pomodoro, cotoletta di pollo, insalata, frutta di stagione.
Martedì: risotto alla zucca, formaggio, carote, yogurt.
Mercoledì: minestrone di verdure, polpette al sugo, patate al forno, frutta.
Giovedì: pizza margherita, prosciutto cotto, finocchi, budino.
""",
    "ricetta": """# Torta di mele

Sbattere le uova con lo zucchero, aggiungere la farina con il lievito, il latte e la scorza di limone.
Versare nella tortiera, coprire con le mele a fettine e cuocere in forno a 180 gradi per quaranta minuti.
""",
}
