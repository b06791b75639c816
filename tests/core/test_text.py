import pytest

from stockroom.core.text import clean_identifier, clean_text, identifier_problem, identity_key


def test_clean_text_removes_controls_and_joins_lines():
    assert clean_text("Ann\x00e\x1b[31m M\u00fcller\tLtd\r\nFlat 2\x7f\x9b") == "Anne[31m Müller Ltd Flat 2"


def test_clean_text_composes_to_nfc():
    assert clean_text("Jose\u0301") == "José"
    assert clean_text(None) == ""


@pytest.mark.parametrize(
    "value",
    [
        "MUG\u200b-1",
        "MUG\u202e-1",
        "MUG\x00",
        "MUG\x85",
        "MUG\x7f",
        " MUG-1",
        "MUG-1\t",
        "MUG\u00a0-1",
        "\ue000",
    ],
)
def test_identifier_problem_refuses_invisible_and_control_characters(value):
    assert identifier_problem(value) is not None
    with pytest.raises(ValueError):
        clean_identifier(value)


def test_identifier_accepts_ordinary_text():
    assert identifier_problem("MUG 1/ä-Ø") is None
    assert clean_identifier("A\u0308PFEL") == "ÄPFEL"


def test_identity_key_folds_case_width_and_no_break_space():
    assert identity_key("ÄPFEL") == identity_key("äpfel")
    assert identity_key("My\u00a0shop") == identity_key("my shop")
    assert identity_key("ＭＵＧ") == identity_key("mug")
    assert identity_key("Straße") == identity_key("STRASSE")
    assert identity_key("MUG-1") != identity_key("MUG-2")
