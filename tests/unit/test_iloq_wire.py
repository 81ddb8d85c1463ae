"""iLOQ's wire as the preflight reads it: liberal about shapes, strict about what it needs."""

from __future__ import annotations

import json

import pytest
from yarl import URL

from livionkey_async import (
    ApiError,
    AuthenticationError,
    NotFoundError,
    RateLimitedError,
    ResponseFormatError,
    ServerError,
    TransportError,
    ValidationError,
)
from livionkey_async.iloq import LockGroup, TlsError
from livionkey_async.iloq._advice import CONTACT_ILOQ, TLS_FIX, TRY_AGAIN, fix_for
from livionkey_async.iloq._wire import (
    SessionAnswer,
    checked_url,
    decode,
    error_for,
    error_message,
    parse_lock_groups,
    parse_rights_mask,
    parse_session,
    parse_url,
)

SERVICE = URL("https://s5.iloq.com/iloqws/")


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("https://s5.iloq.com/iloqws", "https://s5.iloq.com/iloqws/"),
        ("  https://s5.iloq.de/iloqws/?x=1#y ", "https://s5.iloq.de/iloqws/"),
        ("http://127.0.0.1:8081/iloqws", "http://127.0.0.1:8081/iloqws/"),
        ("http://localhost/iloqws", "http://localhost/iloqws/"),
        ("http://[::1]:9/iloqws", "http://[::1]:9/iloqws/"),
    ],
)
def test_service_addresses_become_base_urls(address: str, expected: str) -> None:
    assert str(checked_url(address)) == expected


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("s5.iloq.com/iloqws", "https://"),
        ("ftp://s5.iloq.com/iloqws", "https://"),
        ("", "https://"),
        ("http://s5.iloq.com/iloqws", "must use https"),
        ("https://user:secret@s5.iloq.com/iloqws", "user name or password"),
    ],
)
def test_bad_service_addresses_are_refused_naming_the_field(address: str, why: str) -> None:
    with pytest.raises(ValidationError) as caught:
        checked_url(address)
    assert "service_address" in caught.value.message
    assert why in caught.value.message
    assert "secret" not in caught.value.message


@pytest.mark.parametrize("answer", [None, "", "   "])
def test_get_url_null_or_empty_keeps_the_service_address(answer: object) -> None:
    assert parse_url(answer, SERVICE) is None


def test_get_url_resolves_to_a_pool() -> None:
    resolved = parse_url("https://s5.iloq.com/iloqwspool2/", SERVICE)
    assert str(resolved) == "https://s5.iloq.com/iloqwspool2/"
    assert str(parse_url("/iloqwspool2", SERVICE)) == "https://s5.iloq.com/iloqwspool2/"


@pytest.mark.parametrize("answer", [{"Url": "x"}, 3, ["https://a/"], "not a url"])
def test_get_url_answers_that_are_not_urls_are_format_errors(answer: object) -> None:
    with pytest.raises(ResponseFormatError):
        parse_url(answer, SERVICE)


def test_get_url_never_resolves_to_plain_http_elsewhere() -> None:
    with pytest.raises(ResponseFormatError, match="https"):
        parse_url("http://s5.iloq.com/iloqwspool2/", SERVICE)


def test_create_session_answers_are_read_in_any_case_with_numbers_as_text() -> None:
    assert parse_session({"Result": 1, "SessionID": "abc"}) == SessionAnswer(1, "abc")
    assert parse_session({"result": "5", "sessionId": None}) == SessionAnswer(5, None)
    assert parse_session({"RESULT": 9, "extra": [1, 2]}) == SessionAnswer(9, None)


def test_a_session_id_is_never_in_a_repr() -> None:
    assert "abc-secret" not in repr(parse_session({"Result": 1, "SessionID": "abc-secret"}))


@pytest.mark.parametrize("answer", [["Result", 1], "ok", {"Result": "one"}, {"Result": True}])
def test_unreadable_create_session_answers_are_format_errors(answer: object) -> None:
    with pytest.raises(ResponseFormatError, match="CreateSession"):
        parse_session(answer)


def test_lock_groups_tolerate_nulls_extras_and_case() -> None:
    groups = parse_lock_groups(
        [
            {
                "LockGroup_ID": "g-1",
                "Name": None,
                "OptionMask": "67584",
                "State": 0,
                "Address": "Street 1",
                "ExpireDateUTC": None,
            },
            {"lockgroup_id": "g-2", "name": "Annex", "optionMask": 2048, "state": 1},
        ]
    )
    assert groups == (
        LockGroup("g-1", "", 67584, 0),
        LockGroup("g-2", "Annex", 2048, 1),
    )
    assert groups[0].public_api
    assert groups[0].five_series
    assert not groups[0].api_access_rights
    assert groups[0].label == "g-1"
    assert groups[1].label == "Annex"
    assert not groups[1].active
    assert groups[1].public_api


def test_lock_groups_none_is_empty_and_one_object_is_a_list_of_one() -> None:
    assert parse_lock_groups(None) == ()
    assert parse_lock_groups({"LockGroup_ID": "g"}) == (LockGroup("g"),)


@pytest.mark.parametrize(
    "answer", ["groups", [{"Name": "no id"}], [{"LockGroup_ID": "g", "OptionMask": "x"}]]
)
def test_unusable_lock_groups_are_format_errors(answer: object) -> None:
    with pytest.raises(ResponseFormatError, match="LockGroups"):
        parse_lock_groups(answer)


def test_rights_masks_are_64_bit_and_read_liberally() -> None:
    assert parse_rights_mask({"RightsMask": 2**62}) == 2**62
    assert parse_rights_mask({"rightsmask": "2251799813685248"}) == 2251799813685248
    assert parse_rights_mask(7) == 7
    with pytest.raises(ResponseFormatError, match="SetLockgroup"):
        parse_rights_mask({"Rights": 1})


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, ApiError),
        (401, AuthenticationError),
        (403, AuthenticationError),
        (404, NotFoundError),
        (429, RateLimitedError),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_error_answers_map_onto_the_core_tree(status: int, cls: type[Exception]) -> None:
    error = error_for(status, b'{"Message":"Session is not valid."}')
    assert type(error) is cls
    assert error.status == status
    assert error.message == "Session is not valid."


def test_a_redirect_is_an_error_that_names_its_target() -> None:
    error = error_for(301, b"", location="https://s5.iloq.com/iloqws/")
    assert isinstance(error, ApiError)
    assert "https://s5.iloq.com/iloqws/" in error.message


def test_error_messages_read_every_documented_shape_and_hide_secrets() -> None:
    assert error_message(b'{"message":"lower"}') == "lower"
    assert error_message(b'{"ExceptionMessage":"deep"}') == "deep"
    assert error_message(b'"a JSON string"') == "a JSON string"
    assert error_message(b"plain   text\n") == "plain text"
    assert error_message(b"<html><body>IIS</body></html>") == "(an HTML page)"
    assert error_message(b"") == "(no message)"
    assert len(error_message(b"x" * 5000)) == 300
    echoed = error_message(b'{"Message":"bad login hunter2-pw"}', known=["hunter2-pw"])
    assert "hunter2-pw" not in echoed
    assert "[redacted]" in echoed
    assert "s3cr3t" not in error_message(b'{"Detail":"x","Password":"s3cr3t"}')


def test_bodies_decode_as_json_or_text() -> None:
    assert decode(b"") is None
    assert decode(b'"https://a/"') == "https://a/"
    assert decode(b"https://a/") == "https://a/"


def test_a_long_echo_is_redacted_before_it_is_shortened() -> None:
    password = "Secret-pass-" + "x" * 20
    body = json.dumps({"Message": "y" * 280 + f'{{"Password":"{password}"}}'}).encode()
    message = error_message(body, known=(password,))
    assert "Secre" not in message
    assert len(message) <= 300


def test_deeply_nested_answers_are_a_format_error() -> None:
    with pytest.raises(ResponseFormatError, match="nested too deeply"):
        decode(b"[" * 100_000 + b"]" * 100_000)
    assert error_message(b"[" * 100_000) != ""  # still a message, never a crash


def test_a_certificate_failure_is_fixed_at_the_server_whatever_step_hit_it() -> None:
    assert fix_for(TlsError("certificate verify failed"), CONTACT_ILOQ) == TLS_FIX
    assert fix_for(TransportError("connection reset"), CONTACT_ILOQ) == TRY_AGAIN


@pytest.mark.parametrize(
    "address",
    [
        "https://me:hunter2pw@s5.iloq.com:99999/iloqws",  # yarl refuses the port
        "ftp://me:hunter2pw@s5.iloq.com/iloqws",
        "https://me:hunter2pw@s5.iloq.com/iloqws",
        "https://me:hunter2/pw@s5.iloq.com/iloqws",  # characters a URL would not allow there
        "https://me:hunter2#pw@s5.iloq.com",
        "https://me:hunter2?pw@s5.iloq.com",
        "me:hunter2pw@s5.iloq.com",  # no scheme
    ],
)
def test_a_refused_address_never_echoes_its_password(address: str) -> None:
    with pytest.raises(ValidationError) as caught:
        checked_url(address)
    assert "hunter2" not in str(caught.value)
    assert "hunter2" not in repr(caught.value)
