"""spaCy's attribute ruler with its one-token rules looked up in tables instead of run through the Matcher.

The English pipeline's attribute ruler maps tags to parts of speech with about 180 rules, nearly all of the
form "a token with this tag (and this lowercase form)"; spaCy's Matcher tries every rule on every token,
which is about an eighth of redaction's time on pages. A rule of one token whose conditions are exact values,
or sets of them, of the tag, part of speech, lowercase form, dependency label or whether it is a space is
found here by looking the token's values up in dictionaries; every other rule (several tokens, regular
expressions, ``NOT_IN``, a rule with several patterns) still goes through a Matcher of its own. The matches
are the Matcher's, in its order (``AttributeRuler.match`` sorts them), so the ruler sets the same attributes
on the same tokens.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import product
from typing import Any

from spacy import attrs as spacy_attrs
from spacy.matcher import Matcher
from spacy.pipeline import AttributeRuler
from spacy.tokens import Doc

# A rule is looked up when it is one token whose conditions on these attributes are exact values or sets of
# them ({"IN": [...]}): a token has one value of each, so it meets such a rule at most once, as in the Matcher.
_INDEXED = ("TAG", "POS", "LOWER", "DEP", "IS_SPACE")
Match = tuple[int, int, int, int]  # (rule number, match id, start, end), as AttributeRuler.match gives


class IndexedAttributeMatch:
    """``AttributeRuler.match`` for one ruler, its one-token rules on tags, parts of speech, lowercase forms
    and spaces taken from tables."""

    def __init__(self, ruler: AttributeRuler) -> None:
        self._strings = ruler.vocab.strings
        # Per combination of attributes (positions in _INDEXED), the rules for each combination of values.
        tables: dict[tuple[int, ...], dict[tuple[int, ...], list[int]]] = defaultdict(lambda: defaultdict(list))
        self._match_ids: list[int] = []
        self._rest = Matcher(ruler.vocab)
        for rule in range(len(ruler.attrs)):
            key = str(rule)
            self._match_ids.append(self._strings[key])
            patterns: list[list[dict[str, Any]]] = ruler.matcher.get(key)[1]
            condition = self._lookup_condition(patterns)
            if condition is None:
                self._rest.add(key, patterns)
                continue
            columns = tuple(sorted(condition))
            for values in product(*(condition[column] for column in columns)):
                tables[columns][values].append(rule)
        self._tables = [(columns, dict(table)) for columns, table in tables.items()]
        self._columns = [getattr(spacy_attrs, name) for name in _INDEXED]

    @property
    def matched_elsewhere(self) -> int:
        """How many rules still go through the Matcher."""
        return len(self._rest)

    def __call__(self, doc: Doc) -> list[Match]:
        matches: list[Match] = []
        if len(doc) and self._tables:
            for start, row in enumerate(doc.to_array(self._columns).tolist()):
                for columns, table in self._tables:
                    for rule in table.get(tuple(row[column] for column in columns), ()):
                        matches.append((rule, self._match_ids[rule], start, start + 1))
        for match_id, start, end in self._rest(doc, allow_missing=True, as_spans=False):
            matches.append((int(self._strings[match_id]), match_id, start, end))
        matches.sort()
        return matches

    def _lookup_condition(self, patterns: list[list[dict[str, Any]]]) -> dict[int, list[int]] | None:
        """Per attribute (its position in _INDEXED), the values the rule accepts, as the Matcher compares
        them; None when only the Matcher finds exactly the rule's matches."""
        if len(patterns) != 1 or len(patterns[0]) != 1 or not patterns[0][0]:
            return None
        condition: dict[int, list[int]] = {}
        for name, value in patterns[0][0].items():
            if name not in _INDEXED:
                return None
            if isinstance(value, dict):
                if list(value) != ["IN"] or not isinstance(value["IN"], list):
                    return None
                accepted = value["IN"]
            else:
                accepted = [value]
            if name == "IS_SPACE":
                if not all(isinstance(v, bool) for v in accepted):
                    return None
                condition[_INDEXED.index(name)] = sorted({int(v) for v in accepted})
            elif all(isinstance(v, str) for v in accepted):
                condition[_INDEXED.index(name)] = sorted({self._strings[v] for v in accepted})
            else:
                return None
        return condition


def index_attribute_rulers(nlp: Any) -> None:
    """Give each attribute ruler of a loaded pipeline the table lookup (its own ``match`` otherwise)."""
    for _, component in nlp.pipeline:
        if isinstance(component, AttributeRuler):
            component.match = IndexedAttributeMatch(component)  # type: ignore[method-assign]
