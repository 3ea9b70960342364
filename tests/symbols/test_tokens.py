"""Search terms: identifier splitting, stemming, stopwords, vocabulary ids."""

from __future__ import annotations

from symbols.tokens import Vocabulary, identifier_terms, stem, terms


def test_identifiers_split_into_parts_and_keep_the_whole():
    assert identifier_terms("BulkDiscount") == ("bulkdiscount", "bulk", "discount")
    assert identifier_terms("parse_url") == ("parse_url", "parse", "url")
    assert identifier_terms("HTTPServer") == ("httpserver", "http", "server")
    assert identifier_terms("x") == ()


def test_stemming_joins_word_forms():
    assert stem("applies") == stem("applied") == "apply"
    assert stem("items") == "item" and stem("class") == "class"
    assert stem("buying") == "buy"


def test_stopwords_and_code_keywords_are_dropped():
    assert terms("the def of a self with Cart") == ["cart"]


def test_vocabulary_maps_terms_to_stable_ids():
    vocabulary = Vocabulary()
    out: list[int] = []
    vocabulary.text("parse_url(url)", out)
    assert [list(vocabulary.ids)[i] for i in out] == ["parse_url", "parse", "url", "url"]
    again: list[int] = []
    vocabulary.names(["parse_url"], again)
    assert again == out[:3]
    assert vocabulary.query("url never-seen-word") == [vocabulary.ids["url"]]
