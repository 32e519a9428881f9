"""The national gazetteer (issue 21): ISTAT's 2020 list of 7,904 comuni shipped in kb/data/comuni_italia.csv, read
in ISTAT's own layout, looked up by code, and recognised in text without turning ordinary words into comuni."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ingest.enrich.gazetteer import Gazetteer, load_gazetteer
from ingest.enrich.istat import SHIPPED, read_elenco, write_shipped
from ingest.enrich.places import find_places

REPO = Path(__file__).resolve().parents[2]
ISTAT_2020 = REPO.parent / "shared" / "data" / "istat" / "Elenco-comuni-italiani-2020-01-01.csv"


@pytest.fixture(scope="module")
def italy() -> Gazetteer:
    return load_gazetteer()


def test_the_shipped_list_is_istat_2020_with_its_legal_population(italy: Gazetteer) -> None:
    assert len(italy.comuni) == len(italy.codes) == 7904, "one row per comune, no duplicate code"
    assert sum(c.popolazione or 0 for c in italy.comuni) == 59_433_744, "ISTAT's 2011 total for Italy"
    provinces = yaml.safe_load((REPO / "kb" / "data" / "province.yaml").read_text(encoding="utf-8"))
    for comune in italy.comuni:  # every sigla known, and the provincia and regione as province.yaml names them
        assert [comune.provincia, comune.regione] == provinces[comune.sigla][:2], comune
    assert len({c.sigla for c in italy.comuni}) == len(provinces) == 107
    assert {c.provincia for c in italy.comuni if c.sigla == "AO"} == {"Aosta"}, "ISTAT: 'Valle d'Aosta/Vallée...'"
    assert {c.sigla for c in italy.comuni if c.regione == "Sardegna"} == {"SS", "NU", "CA", "OR", "SU"}


@pytest.mark.skipif(not ISTAT_2020.is_file(), reason="ISTAT's file is read from ../shared/data/istat")
def test_the_shipped_file_is_what_the_script_writes_from_istat(tmp_path: Path) -> None:
    rows = read_elenco(ISTAT_2020.read_bytes(), ISTAT_2020.name)
    write_shipped(rows, tmp_path / "comuni.csv")
    assert (tmp_path / "comuni.csv").read_bytes() == SHIPPED.read_bytes()
    by_path = Gazetteer.from_istat_csv(ISTAT_2020)  # KB_GAZETTEER_PATH pointing at ISTAT's own file
    assert sorted(by_path.comuni, key=lambda c: c.code) == load_gazetteer().comuni


def test_headers_are_matched_whatever_their_case_spacing_and_accents(tmp_path: Path) -> None:
    header = ('Codice Comune formato alfanumerico;DENOMINAZIONE IN ITALIANO;Denominazione altra lingua;'
              '"Denominazione\nREGIONE";"Denominazione dell\'Unita territoriale  sovracomunale \n(valida a fini '
              'statistici)";Sigla automobilistica;Popolazione legale 2011 (09/10/2011)\n')
    path = tmp_path / "elenco.csv"
    path.write_bytes((header + "21008;Bolzano;Bozen;Trentino-Alto Adige/Südtirol;Bolzano/Bozen;BZ;102.575\n")
                     .encode("cp1252"))
    (bolzano,) = Gazetteer.from_istat_csv(path).comuni
    assert (bolzano.code, bolzano.name, bolzano.other_name, bolzano.provincia, bolzano.regione,
            bolzano.popolazione) == ("021008", "Bolzano", "Bozen", "Bolzano", "Trentino-Alto Adige", 102575)


@pytest.mark.parametrize("code", ["18128", "018128", 18128, " 018128 "])
def test_by_code_with_or_without_leading_zeros(italy: Gazetteer, code: str | int) -> None:
    comune = italy.by_code(code)
    assert comune is not None and (comune.name, comune.sigla, comune.regione) == ("Romagnese", "PV", "Lombardia")


@pytest.mark.parametrize("code", ["", "abc", "1234567", "999999", "18.128"])
def test_by_code_of_no_comune(italy: Gazetteer, code: str) -> None:
    assert italy.by_code(code) is None


@pytest.mark.parametrize(("text", "comune", "provincia", "regione", "popolazione"), [
    ("Il Comune di Cefalù ha riqualificato il lungomare con lampioni a LED.", "Cefalù", "Palermo", "Sicilia", 14354),
    ("Il comune di Arborea (OR) ha avviato una comunità energetica.", "Arborea", "Oristano", "Sardegna", 4048),
    ("Il Comune di Bressanone ha rinnovato l'illuminazione pubblica.", "Bressanone", "Bolzano",
     "Trentino-Alto Adige", 20677),
    ("Die Gemeinde Brixen, il Comune di Brixen, ha aderito al patto.", "Bressanone", "Bolzano",
     "Trentino-Alto Adige", 20677),
    ("Il Comune di Castelfranco Veneto ha avviato il pedibus.", "Castelfranco Veneto", "Treviso", "Veneto", 32894),
    ("Il sindaco di Morgex ha inaugurato gli orti sociali.", "Morgex", "Aosta", "Valle d'Aosta", 2069),
])
def test_comuni_of_every_region_with_provincia_regione_and_population(
        italy: Gazetteer, text: str, comune: str, provincia: str, regione: str, popolazione: int) -> None:
    places = find_places(text, italy)
    assert places.comune is not None and places.comune.value == comune and places.comune.confidence >= 0.9
    assert (places.provincia.value, places.regione.value, places.popolazione.value) == (  # type: ignore[union-attr]
        provincia, regione, popolazione)


@pytest.mark.parametrize(("text", "provincia"), [
    ("Il Comune di Calliano (AT) ha rinnovato la scuola.", "Asti"),
    ("Il Comune di Calliano ha rinnovato la scuola. La provincia di Trento ha contribuito.", "Trento"),
    ("Il Comune di Calliano, in Trentino, ha rinnovato la scuola.", "Trento"),
    ("Il Comune di Calliano, come altri comuni piemontesi, ha rinnovato la scuola.", "Asti"),
    ("Il Comune di San Teodoro, in Sardegna, ha rifatto il porto.", "Sassari"),
    ("Il Comune di San Teodoro (ME) ha rifatto la piazza.", "Messina"),
    ("Il Comune di Paternò (CT) ha installato pannelli solari.", "Catania"),
])
def test_homonyms_across_regions_by_the_province_or_regione_named(italy: Gazetteer, text: str,
                                                                  provincia: str) -> None:
    places = find_places(text, italy)
    assert places.provincia is not None and places.provincia.value == provincia


def test_a_homonym_with_nothing_to_tell_it_apart_is_not_guessed(italy: Gazetteer) -> None:
    for name in ("Calliano", "Samone", "Livo", "Peglio", "Castro", "San Teodoro"):
        assert len(italy.comuni_named(name)) == 2
        places = find_places(f"Il Comune di {name} ha rinnovato la scuola elementare.", italy)
        assert places.comune is None and places.provincia is None, name


@pytest.mark.parametrize("text", [
    "I Fondi europei e i Fondi strutturali sostengono il Paese: il Paese investe nella Vita dei cittadini.",
    "La Scuola di Calcio e il Campo di Calcio sono stati rinnovati con il Sostegno della Regione.",
    "Il sindaco Mario Bianco ha incontrato Mario Bianco, omonimo e assessore.",
    "L'architetto Paolo Carpi ha firmato il progetto; l'ingegner Carpi lo ha collaudato con Paolo Carpi.",
    "L'Istituto Comprensivo Leonardo da Vinci ospita i pannelli. Il liceo Leonardo da Vinci li monitora.",
    "Il Molise e l'Abruzzo hanno firmato l'intesa: il Molise coordina la Cabina di regia.",
    "ACQUISTO TAC PER L'ASL SALERNO. FORNITURA DI ANGIOGRAFO, ASL SALERNO",
    "La festa di San Vito e la chiesa di San Vito sono state restaurate con i fondi del GAL.",
    "Gli alberi di Via Roma e di Piazza Roma sono stati sostituiti; Via Vittoria Colonna è chiusa.",
    "La Potenza installata è di 200 kW. La Potenza di picco arriva a 250 kW.",
    "Ne parla il Terzo Settore: il Terzo Settore gestisce il Grado di copertura del servizio.",
    "Il Re dei parchi e la Sale operativa: la Sale operativa coordina gli interventi del Re.",
])
def test_ordinary_prose_names_no_comune(italy: Gazetteer, text: str) -> None:
    assert find_places(text, italy).comune is None


def test_upper_case_text(italy: Gazetteer) -> None:
    """PNRR titles are in capitals: words that are comuni still need a cue ("CITTADELLA", "MARINO"), and a comune
    after "COMUNE DI" is not taken for the start of a longer name because capitals follow it."""
    shouted = "ADEGUAMENTO SISMICO LICEO DA VINCI: VISITE IN CITTADELLA, MOSTRE IN CITTADELLA, TAC PO MARINO"
    assert find_places(shouted, italy).comune is None
    places = find_places("COMUNE DI MILANO DIREZIONE WELFARE E SALUTE VIA SASSETTI", italy)
    assert places.comune is not None and (places.comune.value, places.regione.value) == (  # type: ignore[union-attr]
        "Milano", "Lombardia")


def test_a_province_capital_named_twice_is_the_comune(italy: Gazetteer) -> None:
    """In PNRR projects a capital named twice is the project's comune 82% of the time, so it needs no cue."""
    places = find_places("Nuova biblioteca dell'Università di Padova. Il cantiere a Padova apre a marzo.", italy)
    assert places.comune is not None and (places.comune.value, places.provincia.value) == (  # type: ignore[union-attr]
        "Padova", "Padova")


def test_a_comune_introduced_as_such_beats_a_capital_named_in_passing(italy: Gazetteer) -> None:
    text = ("Il Comune di Borgo Castelpiano ha aperto un nido. Le famiglie vengono anche da Trento; "
            "l'università di Trento ha valutato il progetto, la Provincia autonoma di Trento lo ha finanziato.")
    places = find_places(text, italy)
    assert places.comune is not None and (places.comune.value, places.comune.confidence) == ("Borgo Castelpiano", 0.5)
    assert places.popolazione is None
    assert (places.provincia.value, places.regione.value) == ("Trento", "Trentino-Alto Adige")  # type: ignore[union-attr]


def test_a_common_word_comune_with_a_cue_is_found(italy: Gazetteer) -> None:
    for text, comune in (("Il Comune di Fondi (LT) ha aperto uno sportello energia.", "Fondi"),
                         ("Il Comune di Paese ha avviato una comunità energetica.", "Paese"),
                         ("Il sindaco di Calcio ha presentato il piano del verde.", "Calcio"),
                         ("A Vita (TP) i lampioni sono a LED.", "Vita")):
        places = find_places(text, italy)
        assert places.comune is not None and places.comune.value == comune, text
