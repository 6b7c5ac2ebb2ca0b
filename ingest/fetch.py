"""Fetching one web page or feed over HTTP(S): bounded in time, size, redirects and type.

Every failure is a FetchError whose one-line message is the reason a report shows:
"timeout (no answer within 20 s)", "HTTP 404 (Not Found)", "not HTML (content type
image/png)", "too large (over 10 MB)". Timeouts, dropped connections and 5xx/429 answers
are retried a few times with backoff; other HTTP errors are final. The body is read in
pieces and reading stops as soon as it passes the size limit, so a 50 MB page costs about
10 MB of transfer, never 50.
"""

from __future__ import annotations

import socket
import ssl
import time
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from email.message import Message
from http.client import HTTPException
from importlib import metadata
from urllib.parse import urljoin, urlsplit

from ingest.article import ReadError
from ingest.limits import MB

# Pages, plain text, and the XML types feeds are served as (application/rss+xml, atom+xml).
_TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "text/xml", "application/xml")
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_PIECE = 64 * 1024


class FetchError(ReadError):
    """A page or feed could not be fetched; the message is the one-line reason."""


@dataclass(frozen=True)
class FetchOptions:
    """How pages are fetched: seconds to wait for each answer (and 3x that for a whole
    download), attempts after the first, the first backoff (doubled per retry), the most
    bytes read and redirects followed."""

    timeout: float = 20.0
    retries: int = 2
    backoff: float = 0.5
    max_bytes: int = 10 * MB
    max_redirects: int = 5


@dataclass
class Page:
    """A fetched body: the URL asked for, the URL it came from after redirects, its type."""

    url: str
    final_url: str
    body: bytes
    content_type: str  # lowercased, without parameters
    charset: str  # from the Content-Type header, "" when not given


def user_agent() -> str:
    """The User-Agent every request sends: "newsdesk/<version> (+local news QA)"."""
    try:
        version = metadata.version("newsdesk")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"newsdesk/{version} (+local news QA)"


def is_web_address(text: str) -> bool:
    """True for an http:// or https:// URL with a host."""
    try:
        parts = urlsplit(text.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def fetch(url: str, options: FetchOptions = FetchOptions()) -> Page:
    """GET `url` and return its body; raises FetchError (one line) when it can't.

    Only http(s) URLs are fetched (also after a redirect), only text, HTML and XML
    content types are read, and the body may not pass `options.max_bytes`.
    """
    if not is_web_address(url):
        raise FetchError("not a web address - use an http:// or https:// URL")
    attempt = 0
    while True:
        try:
            return _fetch_once(url, options)
        except _Retryable as exc:
            if attempt >= options.retries:
                raise FetchError(exc.reason) from None
            time.sleep(options.backoff * 2**attempt)
            attempt += 1


class _Retryable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follows at most `limit` redirects, and only to http(s) (urllib also allows ftp)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.max_redirections = limit

    def http_error_302(self, req, fp, code, msg, headers):
        """Refuse a redirect to anything but http(s), then let urllib follow it."""
        target = urljoin(req.full_url, headers.get("location") or headers.get("uri") or "")
        if not is_web_address(target):
            fp.close()
            raise FetchError(f"redirected to a non-web address ({urlsplit(target).scheme or 'no scheme'}:) - not followed")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _fetch_once(url: str, options: FetchOptions) -> Page:
    opener = urllib.request.build_opener(_Redirects(options.max_redirects))
    request = urllib.request.Request(
        url,
        headers={
            "User-Agent": user_agent(),
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,text/plain;q=0.8",
            "Accept-Encoding": "identity",
        },
    )
    deadline = time.monotonic() + 3 * options.timeout
    try:
        with opener.open(request, timeout=options.timeout) as response:
            headers: Message = response.headers
            kind = headers.get_content_type() if headers.get("Content-Type") else ""
            if kind and kind not in _TEXT_TYPES and not kind.endswith("+xml"):
                raise FetchError(f"not HTML (content type {kind[:80]})")
            _check_length(headers.get("Content-Length"), options.max_bytes)
            body = _read_capped(response, options.max_bytes, deadline, options.timeout)
            body = _decoded(body, (headers.get("Content-Encoding") or "").strip().lower(), options.max_bytes)
            return Page(url, response.geturl(), body, kind, headers.get_content_charset() or "")
    except FetchError:
        raise
    except urllib.error.HTTPError as exc:
        raise _http_error(exc, options) from None
    except (TimeoutError, socket.timeout):
        raise _Retryable(_timeout(options)) from None
    except urllib.error.URLError as exc:
        raise _url_error(exc, options) from None
    except (ConnectionError, HTTPException, OSError) as exc:
        raise _Retryable(f"connection failed ({type(exc).__name__})") from None
    except ValueError as exc:  # a URL urllib can't use (bad port, bad characters)
        raise FetchError(f"not a usable URL ({str(exc)[:120]})") from None


def _check_length(value: str | None, limit: int) -> None:
    try:
        length = int(value or -1)
    except ValueError:
        return
    if length > limit:
        raise FetchError(_too_large(limit))


def _read_capped(response, limit: int, deadline: float, timeout: float) -> bytes:
    pieces: list[bytes] = []
    total = 0
    while True:
        piece = response.read(_PIECE)
        if not piece:
            return b"".join(pieces)
        total += len(piece)
        if total > limit:
            raise FetchError(_too_large(limit))
        if time.monotonic() > deadline:
            raise _Retryable(f"timeout (the page took over {3 * timeout:g} s to download)")
        pieces.append(piece)


def _decoded(body: bytes, encoding: str, limit: int) -> bytes:
    """The body without its Content-Encoding (sent though we asked for none), inflated no
    further than `limit`: a small gzip can unpack to gigabytes."""
    if encoding not in ("gzip", "x-gzip", "deflate"):
        return body
    inflater = zlib.decompressobj(47 if "gzip" in encoding else 15)  # 47: a gzip or zlib header
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error:
        raise FetchError(f"the page's {encoding} encoding is broken") from None
    if len(data) > limit:
        raise FetchError(_too_large(limit))
    return data


def _too_large(limit: int) -> str:
    return f"too large (over {limit / MB:g} MB)"


def _timeout(options: FetchOptions) -> str:
    return f"timeout (no answer within {options.timeout:g} s)"


def _http_error(exc: urllib.error.HTTPError, options: FetchOptions) -> Exception:
    exc.close()
    if 300 <= exc.code < 400 and exc.headers is not None and exc.headers.get("Location"):
        return FetchError(f"too many redirects (over {options.max_redirects})")
    reason = f"HTTP {exc.code} ({exc.reason})" if exc.reason else f"HTTP {exc.code}"
    return _Retryable(reason) if exc.code in _RETRY_STATUS else FetchError(reason)


def _url_error(exc: urllib.error.URLError, options: FetchOptions) -> Exception:
    reason = exc.reason
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return _Retryable(_timeout(options))
    if isinstance(reason, socket.gaierror):
        return FetchError("the host name could not be resolved - check the URL (or the network)")
    if isinstance(reason, ssl.SSLError):
        return FetchError(f"TLS failed ({getattr(reason, 'reason', None) or type(reason).__name__})")
    if isinstance(reason, ConnectionRefusedError):
        return _Retryable("connection refused")
    if isinstance(reason, OSError):
        return _Retryable(f"connection failed ({reason.strerror or type(reason).__name__})")
    return FetchError(f"could not be fetched ({str(reason)[:120]})")
