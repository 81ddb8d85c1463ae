"""Standard Webhooks signatures and the legacy shared-secret header, checked to the letter.

Valid, tampered, wrong secret, stale and future timestamps, several signatures, several secrets,
malformed headers, and the secret never in an error. The published test vector of the Standard
Webhooks libraries pins the algorithm; the ``standardwebhooks`` package (the one Livion
recommends) verifies what :func:`sign` produces and signs what :func:`verify_signature` accepts.
"""

from __future__ import annotations

import base64
import email.message
import json
import time
import traceback
from datetime import UTC, datetime

import pytest
from multidict import CIMultiDict
from standardwebhooks.webhooks import Webhook
from webhook_support import API_KEY, NOW, OTHER_SECRET, SECRET, FakeClock, fixture_bytes

from livionkey_async import LivionKeyError, ValidationError
from livionkey_async.webhooks import (
    DEFAULT_TOLERANCE,
    WebhookVerificationError,
    sign,
    verify_api_key,
    verify_signature,
)

BODY = fixture_bytes("v2-contract-update.json")  # as published: indented, with a pincode
MSG_ID = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"


def _signed(
    body: bytes = BODY, secret: str | list[str] = SECRET, timestamp: int = NOW
) -> dict[str, str]:
    return sign(body, secret, msg_id=MSG_ID, timestamp=timestamp, event_type="contract-update")


def _verify(body: bytes, headers: dict[str, str], secret: str | list[str] = SECRET) -> str:
    return verify_signature(body, headers, secret, clock=FakeClock())


def test_the_standard_webhooks_test_vector() -> None:
    # From the Standard Webhooks libraries' own tests.
    headers = sign(
        b'{"test": 2432232314}',
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        timestamp=1614265330,
    )
    assert headers == {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }


def test_a_valid_delivery_is_accepted_and_its_id_returned() -> None:
    headers = _signed()
    assert headers["webhook-event-type"] == "contract-update"
    assert _verify(BODY, headers) == MSG_ID


def test_header_names_are_matched_in_any_case() -> None:
    titled = {name.title(): value for name, value in _signed().items()}
    assert _verify(BODY, titled) == MSG_ID
    assert verify_signature(BODY, CIMultiDict(_signed()), SECRET, clock=FakeClock()) == MSG_ID


def test_the_headers_of_http_server_and_other_frameworks_are_read() -> None:
    """``http.server`` hands over an ``email.message.Message``: not a Mapping, but its
    ``items()`` are the header pairs, as werkzeug's ``Headers`` are."""
    message = email.message.Message()
    for name, value in _signed().items():
        message[name] = value
    message["X-Api-Key"] = API_KEY
    assert verify_signature(BODY, message, SECRET, clock=FakeClock()) == MSG_ID  # type: ignore[arg-type]
    verify_api_key(message, API_KEY)  # type: ignore[arg-type]
    for bad in (["webhook-id"], {"webhook-id": 5}, "webhook-id: x"):
        with pytest.raises(ValidationError, match="headers"):
            verify_signature(BODY, bad, SECRET, clock=FakeClock())  # type: ignore[arg-type]


def test_the_raw_bytes_are_verified_never_reserialised_json() -> None:
    headers = _signed()
    compact = json.dumps(json.loads(BODY), separators=(",", ":")).encode()
    with pytest.raises(WebhookVerificationError) as caught:
        _verify(compact, headers)
    assert caught.value.reason == "bad-signature"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda b: b.replace(b"124578", b"124579"),
        lambda b: b + b"\n",
        lambda b: b[:-1],
    ],
)
def test_a_tampered_body_is_refused(tamper: object) -> None:
    assert callable(tamper)
    body = tamper(BODY)
    assert body != BODY
    with pytest.raises(WebhookVerificationError, match="no webhook-signature matches") as caught:
        _verify(body, _signed())
    assert caught.value.reason == "bad-signature"


def test_a_tampered_id_or_timestamp_is_refused() -> None:
    for name, value in (("webhook-id", "msg_other"), ("webhook-timestamp", str(NOW - 1))):
        headers = {**_signed(), name: value}
        with pytest.raises(WebhookVerificationError) as caught:
            _verify(BODY, headers)
        assert caught.value.reason == "bad-signature"


def test_the_wrong_secret_is_refused() -> None:
    with pytest.raises(WebhookVerificationError) as caught:
        _verify(BODY, _signed(secret=OTHER_SECRET))
    assert caught.value.reason == "bad-signature"


@pytest.mark.parametrize(
    ("offset", "reason"),
    [
        (DEFAULT_TOLERANCE + 1, "stale"),
        (-(DEFAULT_TOLERANCE + 1), "future"),
        (3600 * 6, "stale"),
    ],
)
def test_stale_and_future_timestamps_are_refused(offset: float, reason: str) -> None:
    # A delivery signed at NOW, checked `offset` seconds later.
    with pytest.raises(WebhookVerificationError) as caught:
        verify_signature(BODY, _signed(), SECRET, clock=FakeClock(NOW + offset))
    assert caught.value.reason == reason
    assert f"tolerance {DEFAULT_TOLERANCE:.0f} s" in caught.value.message


@pytest.mark.parametrize("offset", [DEFAULT_TOLERANCE, -DEFAULT_TOLERANCE, 0])
def test_timestamps_within_the_tolerance_are_accepted(offset: float) -> None:
    assert verify_signature(BODY, _signed(), SECRET, clock=FakeClock(NOW + offset)) == MSG_ID


def test_the_tolerance_can_be_changed() -> None:
    late = FakeClock(NOW + 60)
    with pytest.raises(WebhookVerificationError) as caught:
        verify_signature(BODY, _signed(), SECRET, clock=late, tolerance=30)
    assert caught.value.reason == "stale"
    assert verify_signature(BODY, _signed(), SECRET, clock=late, tolerance=90) == MSG_ID


@pytest.mark.parametrize(
    "stamp", ["", "soon", "1e9", "-5", "nan", "inf", "17800000 00", "\uff11\uff12\uff13"]
)
def test_malformed_timestamps_are_refused(stamp: str) -> None:
    headers = {**_signed(), "webhook-timestamp": stamp}
    with pytest.raises(WebhookVerificationError) as caught:
        _verify(BODY, headers)
    assert caught.value.reason == ("missing-header" if stamp == "" else "malformed-timestamp")


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_each_missing_header_is_named(missing: str) -> None:
    headers = {name: value for name, value in _signed().items() if name != missing}
    with pytest.raises(WebhookVerificationError, match=f"missing {missing} header") as caught:
        _verify(BODY, headers)
    assert caught.value.reason == "missing-header"


def test_several_signatures_any_one_matching() -> None:
    good = _signed()["webhook-signature"]
    fake = "v1," + base64.b64encode(b"x" * 32).decode()
    for header in (
        f"{fake} {good}",
        f"{good} {fake}",
        f"v2,{good[3:]} v1a,AAAA {good}",  # other schemes are skipped
        f"garbage v1, v1,!!notbase64!! {good}",  # malformed entries are skipped, not a crash
        f"{fake}  {good}",  # any whitespace between entries
    ):
        assert _verify(BODY, {**_signed(), "webhook-signature": header}) == MSG_ID
    for header in (fake, f"v2,{good[3:]}", "v1,", "garbage", f"{fake} v1a,{good[3:]}"):
        with pytest.raises(WebhookVerificationError, match="no webhook-signature matches"):
            _verify(BODY, {**_signed(), "webhook-signature": header})


def test_signing_with_several_secrets_gives_several_signatures() -> None:
    headers = _signed(secret=[OTHER_SECRET, SECRET])
    assert len(headers["webhook-signature"].split()) == 2
    assert _verify(BODY, headers, SECRET) == MSG_ID
    assert _verify(BODY, headers, OTHER_SECRET) == MSG_ID


def test_several_secrets_any_one_matching() -> None:
    new = "whsec_" + base64.b64encode(b"livionkey-async-test-key-0003").decode()
    assert _verify(BODY, _signed(secret=SECRET), [new, SECRET]) == MSG_ID
    assert _verify(BODY, _signed(secret=new), [new, SECRET]) == MSG_ID
    with pytest.raises(WebhookVerificationError):
        _verify(BODY, _signed(secret=OTHER_SECRET), [new, SECRET])


def test_the_prefix_and_padding_of_a_secret_are_optional() -> None:
    bare = SECRET.removeprefix("whsec_")
    assert _verify(BODY, _signed(), bare) == MSG_ID
    assert _verify(BODY, _signed(), bare.rstrip("=")) == MSG_ID
    assert _verify(BODY, _signed(), base64.b64decode(bare)) == MSG_ID  # type: ignore[arg-type]


@pytest.mark.parametrize("secret", ["whsec_Zq9*malformed!", "whsec_Zq9malformedx", "whsec_", ""])
def test_a_malformed_secret_is_a_validation_error_that_never_shows_it(secret: str) -> None:
    with pytest.raises(ValidationError) as caught:
        verify_signature(BODY, _signed(), secret, clock=FakeClock())
    shown = "".join(traceback.format_exception(caught.value))
    assert "Zq9" not in shown
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ or caught.value.__context__ is None


def test_the_secret_is_never_in_an_error() -> None:
    key = SECRET.removeprefix("whsec_")
    errors: list[LivionKeyError] = []
    for headers, clock in (
        ({**_signed(), "webhook-signature": "v1,AAAA"}, FakeClock()),
        (_signed(), FakeClock(NOW + 10_000)),
        (_signed(), FakeClock(NOW - 10_000)),
        ({"webhook-id": MSG_ID}, FakeClock()),
        ({**_signed(), "webhook-timestamp": "x"}, FakeClock()),
    ):
        with pytest.raises(WebhookVerificationError) as caught:
            verify_signature(BODY, headers, SECRET, clock=clock)
        errors.append(caught.value)
    with pytest.raises(WebhookVerificationError) as wrong_key:
        verify_api_key({"x-api-key": "guess"}, API_KEY)
    errors.append(wrong_key.value)
    for error in errors:
        shown = "".join(traceback.format_exception(error)) + repr(error) + str(error)
        for secret in (SECRET, key, API_KEY, "124578"):
            assert secret not in shown
        assert isinstance(error, LivionKeyError)
        assert error.__cause__ is None


def test_sign_is_strict_about_ids() -> None:
    for msg_id in ("msg.1", "msg 1", "", "msg\n1", "msgé"):
        with pytest.raises(ValidationError, match="webhook-id"):
            sign(BODY, SECRET, msg_id=msg_id)
    first, second = sign(BODY, SECRET), sign(BODY, SECRET)
    assert first["webhook-id"].startswith("msg_")
    assert first["webhook-id"] != second["webhook-id"]


def test_sign_reads_its_clock_when_no_timestamp_is_given() -> None:
    headers = sign(BODY, SECRET, msg_id=MSG_ID, clock=FakeClock(NOW + 0.9))
    assert headers["webhook-timestamp"] == str(NOW)


# -- interoperability with the standardwebhooks package ------------------------------------------


def test_the_standardwebhooks_package_accepts_our_signatures() -> None:
    now = int(time.time())  # that package reads the wall clock itself
    headers = sign(BODY, SECRET, msg_id=MSG_ID, timestamp=now)
    assert Webhook(SECRET).verify(BODY, headers) == json.loads(BODY)
    rotated = sign(BODY, [OTHER_SECRET, SECRET], msg_id=MSG_ID, timestamp=now)
    assert Webhook(SECRET).verify(BODY, rotated) == json.loads(BODY)


def test_we_accept_the_standardwebhooks_packages_signatures() -> None:
    at = datetime.fromtimestamp(NOW, UTC)
    signature = Webhook(SECRET).sign(MSG_ID, at, BODY.decode())
    headers = {"webhook-id": MSG_ID, "webhook-timestamp": str(NOW), "webhook-signature": signature}
    assert _verify(BODY, headers) == MSG_ID


# -- the legacy shared-secret header -------------------------------------------------------------


def test_the_legacy_api_key_header() -> None:
    verify_api_key({"X-Api-Key": API_KEY}, API_KEY)
    verify_api_key({"x-livion-key": API_KEY}, ["old-key-1", API_KEY], header_name="X-Livion-Key")
    with pytest.raises(WebhookVerificationError, match="missing x-api-key header") as missing:
        verify_api_key({}, API_KEY)
    assert missing.value.reason == "missing-header"
    for wrong in (API_KEY[:-1], API_KEY + "x", API_KEY.upper(), " "):
        with pytest.raises(WebhookVerificationError, match="wrong x-api-key") as caught:
            verify_api_key({"x-api-key": wrong}, API_KEY)
        assert caught.value.reason == "bad-key"
    with pytest.raises(ValidationError):
        verify_api_key({"x-api-key": ""}, "")
