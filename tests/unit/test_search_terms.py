from server.search_terms import MAX_TERM, customer_terms, fold, query_terms


def test_fold_removes_accents_and_case() -> None:
    assert fold("Ñúñez-MÜLLER") == "nunez-muller"
    assert fold("Weiß Øster") == "weiss oster"


def test_customer_terms() -> None:
    terms = customer_terms(
        "José O'Brien-Müller",
        "Müller Bau GmbH & Co. KG",
        "GB10000007",
        ["Jose.OBrien@Example.COM"],
        ["+447400123456"],
    )
    assert {"jose", "obrien", "muller", "bau", "gmbh", "co", "kg"} <= terms
    assert "gb10000007" in terms
    assert {"jose.obrien@example.com", "jose.obrien"} <= terms
    assert {"447400123456", "7400123456"} <= terms
    assert all(len(t) >= 2 for t in terms)
    assert all(t == t.lower() for t in terms)


def test_terms_are_capped() -> None:
    terms = customer_terms("A" * 500, None, None, ["b" * 300 + "@x.example"], [])
    assert terms
    assert all(len(t) <= MAX_TERM for t in terms)


def test_query_terms_words() -> None:
    assert query_terms("  Müller, José ") == ["muller", "jose"]
    assert query_terms("o'brien") == ["obrien"]
    assert query_terms("j") == ["j"]
    assert query_terms("j smith") == ["smith"]
    assert query_terms("") == []


def test_query_terms_phone_forms_match_stored_terms() -> None:
    stored = customer_terms("X Y", None, None, [], ["+447400123456"])
    for q in ("+44 7400 123", "07400 123456", "0044 7400", "7400-12"):
        (term,) = query_terms(q)
        assert any(s.startswith(term) for s in stored), q


def test_query_terms_email() -> None:
    assert query_terms("Jose.OBrien@Exa") == ["jose.obrien@exa"]


def test_query_terms_match_customer_terms_by_prefix() -> None:
    stored = customer_terms("Ángela Domínguez", "Clínica Dental S.L.", "ES12345678", [], [])
    for term in query_terms("angela DOMIN clinica es1234"):
        assert any(s.startswith(term) for s in stored), term
