"""Territory values (kb/text/territory.py): any spelling of an official name is that name, at write time (document
metadata) and at query time (search filters, eligibility), so a filter typed any way selects what the official
spelling selects; any other value is kept, tidied, the same on both sides."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kb.storage.filters import SearchFilters
from kb.storage.schema import DocumentMetadata
from kb.text.territory import TERRITORY_FIELDS, canonical
from tests.properties.budget import bounded
from tests.properties.territory import named, territory_values

fields = st.sampled_from(TERRITORY_FIELDS)
place_like = st.text(alphabet="abcdeilmnoprstuvàèéìòùABCDLMSVÀÈ'’-/ \t\u00a0", max_size=60)
values = st.one_of(place_like, st.text(max_size=60))


@bounded(300)
@given(territory_values())
def test_every_spelling_of_an_official_name_is_that_name(drawn: tuple[str, str, str]) -> None:
    field, official, spelling = drawn
    assert canonical(field, spelling) == official, (field, spelling)


@bounded(150)
@given(territory_values())
def test_a_filter_in_any_spelling_is_the_filter_in_the_official_one(drawn: tuple[str, str, str]) -> None:
    field, official, spelling = drawn
    typed, proper = SearchFilters.model_validate({field: [spelling]}), SearchFilters.model_validate({field: [official]})
    assert typed.to_qdrant() == proper.to_qdrant()


@bounded(100)
@given(named("regione"))
def test_eligibility_in_any_spelling_is_eligibility_in_the_official_one(drawn: tuple[str, str]) -> None:
    official, spelling = drawn
    assert SearchFilters(eligible_regione=spelling).to_qdrant() == SearchFilters(eligible_regione=official).to_qdrant()


@bounded(300)
@given(fields, values)
def test_canonical_values_are_tidy_and_stable(field: str, value: str) -> None:
    once = canonical(field, value)
    assert canonical(field, once) == once
    assert once == " ".join(once.split()), "trimmed, single spaces"


@bounded(200)
@given(fields, st.one_of(values, territory_values().map(lambda d: d[2])))
def test_what_is_stored_is_what_a_filter_asks_for(field: str, value: str) -> None:
    """Write time and query time agree for every value, known or not: the filter finds the document."""
    stored = DocumentMetadata.model_validate({"doc_type": "progetto", field: value}).model_dump()[field]
    asked = SearchFilters.model_validate({field: [value]}).model_dump()[field]
    assert asked == ([stored] if stored else [])
