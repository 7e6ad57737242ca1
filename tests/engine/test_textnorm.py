from engine.textnorm import _FOLD, clean, fold, quote_form, stem, tokenize


def test_fold_drops_case_accents_and_typographic_marks():
    assert fold("Où s’est TENUE la Réunion ? Œuvre") == "ou s'est tenue la reunion ? oeuvre"


def test_an_ascii_text_folds_as_the_table_does():
    # The ASCII fast path lowers and maps the backquote, as casefold and the table do for every ASCII text.
    every_ascii = "".join(map(chr, range(128)))
    table = every_ascii.casefold().translate(_FOLD)
    assert fold(every_ascii) == table and "`" not in table
    assert fold("Qui `DIRIGE` Nissan ?") == "qui 'dirige' nissan ?"
    assert fold("x" * 5000) == "x" * 4000  # cut at MAX_CHARS on both paths


def test_tokenize_splits_elisions_and_keeps_decimals():
    assert tokenize("L'Alliance a vendu 10,76 millions d’unités.") == [
        "l",
        "alliance",
        "a",
        "vendu",
        "10_76",
        "millions",
        "d",
        "unites",
    ]


def test_stem_is_light_and_symmetric():
    assert stem("ventes") == stem("vente") == "vente"
    assert stem("process") == "process"
    assert stem("bus") == "bus"


def test_quote_form_only_normalises_whitespace_and_marks():
    assert quote_form("l’état  d’esprit\n«ouvert»") == "l'état d'esprit \"ouvert\""
    assert quote_form("état") != quote_form("etat")


def test_clean_replaces_unpaired_surrogates_and_joins_pairs():
    assert clean("qui dirige nissan \ud800 ?") == "qui dirige nissan \ufffd ?"
    assert clean("\udc00\ud800x") == "\ufffd\ufffdx"
    assert clean("\ud83d\ude00") == "😀"  # a pair split in two code points is one character again
    assert clean("Où est né Ghosn ? 😀") == "Où est né Ghosn ? 😀"
    clean("\ud800" * 4000).encode("utf-8")  # nothing left that UTF-8 (SQLite, HTTP) refuses
