from mastra.security.signing import sign, verify

SECRET = b"s3cret"


def test_a_signature_verifies_and_binds_body_secret_and_time() -> None:
    header = sign(SECRET, b'{"a":1}', now=1_000_000)
    assert verify(SECRET, b'{"a":1}', header, now=1_000_010)
    assert not verify(SECRET, b'{"a":2}', header, now=1_000_010)
    assert not verify(b"other", b'{"a":1}', header, now=1_000_010)
    assert not verify(SECRET, b'{"a":1}', header, now=1_000_000 + 301)  # replayed too late


def test_malformed_headers_do_not_verify() -> None:
    for header in ("", "t=1", "v1=ab", "t=x,v1=ab", "garbage"):
        assert not verify(SECRET, b"x", header)
