"""The retrieval core: one typed request -> one ranked page (`SearchEngine.search`), used by every caller."""

from kb.search.context import CommuneContext
from kb.search.engine import SearchEngine
from kb.search.factory import engine_from_settings
from kb.search.probe import Probe
from kb.search.types import FoundDocument, Mode, Order, SearchPage, SearchRequest, ShownPassage
from kb.storage.filters import SearchFilters

__all__ = ["CommuneContext", "FoundDocument", "Mode", "Order", "Probe", "SearchEngine", "SearchFilters",
           "SearchPage", "SearchRequest", "ShownPassage", "engine_from_settings"]
