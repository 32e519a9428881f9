"""Extractors on hand-written Italian sentences: dates, amounts, population caps, act references."""

from __future__ import annotations

import datetime as dt

import pytest

from ingest.enrich.acts import act_key, cited_acts, find_acts
from ingest.enrich.amounts import call_budget, comune_population, find_amounts, population_cap
from ingest.enrich.dates import call_dates, find_dates
from ingest.enrich.text import parse_italian_number


@pytest.mark.parametrize(("text", "expected"), [
    ("La scadenza è il 30 giugno 2025.", dt.date(2025, 6, 30)),
    ("Dal 1° marzo 2026 si aprono le iscrizioni.", dt.date(2026, 3, 1)),
    ("Lunedì 2 febbraio 2026 alle 9", dt.date(2026, 2, 2)),
    ("entro il primo aprile 2027", dt.date(2027, 4, 1)),
    ("protocollo del 30/06/2025", dt.date(2025, 6, 30)),
    ("delibera n. 12 del 31.12.2024", dt.date(2024, 12, 31)),
    ("entro il 15-01-27", dt.date(2027, 1, 15)),
    ("scade il 3 sett. 2026", dt.date(2026, 9, 3)),
])
def test_italian_dates(text: str, expected: dt.date) -> None:
    assert [d.date for d in find_dates(text)] == [expected]


def test_impossible_dates_and_dates_without_a_year() -> None:
    assert find_dates("il 31 febbraio 2026 e il 45/13/2020") == []
    assert find_dates("dal 1° marzo") == []  # no year anywhere: dropped, not guessed
    assert [d.date for d in find_dates("dal 1° marzo", reference_year=2026)] == [dt.date(2026, 3, 1)]
    borrowed = find_dates("dal 1° marzo al 30 giugno 2026")
    assert [d.date for d in borrowed] == [dt.date(2026, 3, 1), dt.date(2026, 6, 30)] and not borrowed[0].had_year


@pytest.mark.parametrize(("text", "opening", "deadline"), [
    ("Le domande si presentano dalle ore 10:00 del 15 ottobre 2026 ed entro le ore 12:00 del 15 gennaio 2027.",
     dt.date(2026, 10, 15), dt.date(2027, 1, 15)),
    ("Le candidature vanno inviate entro le ore 12:00 del 30 giugno 2025.", None, dt.date(2025, 6, 30)),
    ("Domande dal 1° marzo al 30 giugno 2026.", dt.date(2026, 3, 1), dt.date(2026, 6, 30)),
    ("Le proposte possono essere presentate a partire dal 2 maggio 2026. I lavori devono concludersi entro il "
     "31 dicembre 2027. Le domande scadono il 30/06/2026.", dt.date(2026, 5, 2), dt.date(2026, 6, 30)),
])
def test_call_dates(text: str, opening: dt.date | None, deadline: dt.date | None) -> None:
    dates = call_dates(text)
    assert (dates.opening_date.date if dates.opening_date else None) == opening
    assert dates.deadline is not None and dates.deadline.date == deadline
    assert 0 < dates.deadline.confidence <= 1


def test_a_works_deadline_is_less_credible_than_the_applications_one() -> None:
    dates = call_dates("Gli interventi devono concludersi entro il 31 dicembre 2027.")
    assert dates.deadline is not None and dates.deadline.confidence < 0.5


@pytest.mark.parametrize(("raw", "value"), [("2.500.000", 2_500_000), ("2,5", 2.5), ("300.000,00", 300_000),
                                            ("1.000", 1000), ("12", 12)])
def test_italian_numbers(raw: str, value: float) -> None:
    assert parse_italian_number(raw) == value


@pytest.mark.parametrize(("text", "euro"), [
    ("un importo di € 2.500.000 complessivi", 2_500_000),
    ("pari a 2,5 milioni di euro", 2_500_000),
    ("euro 300.000,00", 300_000),
    ("EUR 1.000", 1000),
    ("€ 1,2 mln", 1_200_000),
    ("500 mila euro", 500_000),
    ("2.500.000 euro", 2_500_000),
])
def test_euro_amounts(text: str, euro: float) -> None:
    assert [a.euro for a in find_amounts(text)] == [euro]


def test_budget_is_the_total_not_the_amount_per_project() -> None:
    text = ("Il contributo massimo è di € 100.000 per comune. La dotazione complessiva del bando è di "
            "**€ 2.500.000**.")
    budget = call_budget(text)
    assert budget is not None and budget.value == 2_500_000 and "dotazione" in budget.evidence
    assert call_budget("Il Comune ha speso € 40.000 per le lampade.") is None


@pytest.mark.parametrize(("text", "cap"), [
    ("Possono partecipare i comuni fino a 5.000 abitanti.", 5000),
    ("rivolto a comuni con popolazione pari o inferiore a 10.000 abitanti", 10_000),
    ("comuni con popolazione inferiore a 5.000 abitanti", 4999),
    ("i comuni sotto i 3.000 abitanti e le loro unioni", 2999),
    ("comuni con non più di 15.000 abitanti", 15_000),
])
def test_population_caps(text: str, cap: int) -> None:
    found = population_cap(text)
    assert found is not None and found.value == cap


def test_population_of_the_comune_is_not_a_cap() -> None:
    assert population_cap("Il comune conta 4.300 abitanti.") is None
    own = comune_population("Il Comune di Sant'Angelo Lodigiano (13.000 abitanti) ha aderito.",
                            "Sant'Angelo Lodigiano")
    assert own is not None and own.value == 13_000
    assert comune_population("un piccolo comune di 1.850 abitanti in Valtellina").value == 1850  # type: ignore[union-attr]
    assert comune_population("per i comuni fino a 5.000 abitanti") is None
    assert comune_population("La frazione Bosco Alto (620 abitanti) è collegata.", "Corte dei Salici") is None


@pytest.mark.parametrize(("text", "key", "display"), [
    ("ai sensi del D.Lgs. 199/2021", "dlgs:199/2021", "D.Lgs. 199/2021"),
    ("il d.lgs. n. 199 del 2021", "dlgs:199/2021", "D.Lgs. 199/2021"),
    ("il Decreto Legislativo 8 novembre 2021, n. 199", "dlgs:199/2021", "D.Lgs. 199/2021"),
    ("la L.R. 2/2022", "lr:2/2022", "L.R. 2/2022"),
    ("la legge regionale Lombardia n. 2 del 2022", "lr:2/2022", "L.R. 2/2022"),
    ("la Direttiva (UE) 2018/2001 (RED II)", "dir-ue:2018/2001", "Direttiva (UE) 2018/2001"),
    ("la Direttiva 2012/27/UE sull'efficienza", "dir-ue:2012/27", "Direttiva 2012/27/UE"),
    ("il Regolamento (UE) 2021/241", "reg-ue:2021/241", "Regolamento (UE) 2021/241"),
    ("il D.L. 77/2021", "dl:77/2021", "D.L. 77/2021"),
    ("la Legge 10/1991", "l:10/1991", "L. 10/1991"),
    ("il D.P.R. 380/2001", "dpr:380/2001", "D.P.R. 380/2001"),
    ("il D.M. 7 dicembre 2023, n. 414", "dm:414/2023", "D.M. 414/2023"),
])
def test_act_references(text: str, key: str, display: str) -> None:
    acts = find_acts(text)
    assert [(a.key, a.display) for a in acts] == [(key, display)]


def test_cited_acts_are_distinct_most_cited_first_without_the_own_act() -> None:
    text = ("Il D.Lgs. 199/2021 recepisce la Direttiva (UE) 2018/2001. Le CER previste dal d.lgs. n. 199 del 2021 "
            "e dalla L.R. 2/2022 ...")
    assert [a.key for a in cited_acts(text)] == ["dlgs:199/2021", "dir-ue:2018/2001", "lr:2/2022"]
    assert [a.key for a in cited_acts(text, own_key="dlgs:199/2021")] == ["dir-ue:2018/2001", "lr:2/2022"]
    assert act_key("L.R. Lombardia 2/2022") == "lr:2/2022" and act_key("PNRR Missione 2") is None
    assert find_acts("vedi l. 10/1991 e la pagina 3/2020") == []  # lowercase "l." and bare fractions are not acts
