"""A small news site on 127.0.0.1 for the web-ingest tests: article pages, RSS and Atom
feeds, and the ways a site goes wrong (404, no answer, 50 MB, wrong type, broken feed).

Routes are set per test (`site.page`, `site.set`); every request is counted by path, and
the bytes sent for a streamed body are counted too, so tests can check what was fetched.
"""

from __future__ import annotations

import html
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MB = 1024 * 1024


@dataclass
class Route:
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    body: bytes = b""
    kind: str = "plain"  # plain | hang | stream | flaky | redirect
    location: str = ""
    size: int = 0  # stream: bytes to send; flaky: failures before success


def article_html(title: str, paragraphs: list[str], *, site: str = "", date: str = "", author: str = "") -> str:
    """A news page with navigation and footer around an <article>; metadata only where given."""
    meta = [f'<meta property="og:title" content="{html.escape(title)}">']
    if site:
        meta.append(f'<meta property="og:site_name" content="{html.escape(site)}">')
    if date:
        meta.append(f'<meta property="article:published_time" content="{date}T08:00:00Z">')
    if author:
        meta.append(f'<meta name="author" content="{html.escape(author)}">')
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head><title>{html.escape(title)}</title>{''.join(meta)}</head><body>"
        "<nav><a href='/'>Home</a> | <a href='/world'>World</a> | <a href='/markets'>Markets</a></nav>"
        f"<article><h1>{html.escape(title)}</h1>{body}</article>"
        "<footer>Subscribe to our newsletter. All rights reserved.</footer></body></html>"
    )


def rss(title: str, items: list[dict]) -> str:
    """An RSS 2.0 feed; each item: title, link, date (RFC 822), description."""
    parts = [f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{html.escape(title)}</title>'
             "<link>http://127.0.0.1/</link><description>Test feed</description>"]
    for item in items:
        parts.append(
            f"<item><title>{html.escape(item['title'])}</title><link>{html.escape(item['link'])}</link>"
            f"<pubDate>{item.get('date', '')}</pubDate>"
            f"<description>{html.escape(item.get('description', ''))}</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts)


def atom(title: str, entries: list[dict]) -> str:
    """An Atom feed; each entry: title, link, updated (ISO), content (HTML)."""
    parts = [f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>{html.escape(title)}</title>'
             "<id>urn:test:feed</id><updated>2025-11-05T00:00:00Z</updated>"]
    for entry in entries:
        parts.append(
            f"<entry><title>{html.escape(entry['title'])}</title><link href=\"{html.escape(entry['link'])}\"/>"
            f"<id>{html.escape(entry['link'])}</id><updated>{entry['updated']}</updated>"
            f"<content type=\"html\">{html.escape(entry.get('content', ''))}</content></entry>"
        )
    parts.append("</feed>")
    return "".join(parts)


class NewsSite:
    """The server: `start()`, set routes, read `hits` / `sent` / `agents`, `stop()`."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.sent: Counter[str] = Counter()
        self.agents: list[str] = []
        self.release = threading.Event()  # set at stop: hanging requests end
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                site._serve(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> NewsSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    def set(self, path: str, body: str | bytes = b"", content_type: str = "text/html; charset=utf-8", **kw) -> str:
        """Serve `body` at `path` (or a special route: kind=hang/stream/flaky/redirect); returns the URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(content_type=content_type, body=data, **kw)
        return self.url(path)

    def page(self, path: str, title: str, paragraphs: list[str], **meta: str) -> str:
        """Serve an article page at `path`; returns its URL."""
        return self.set(path, article_html(title, paragraphs, **meta))

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        with self._lock:
            self.hits[path] += 1
            self.agents.append(handler.headers.get("User-Agent", ""))
            count = self.hits[path]
        route = self.routes.get(path)
        try:
            if route is None:
                handler.send_error(404, "Not Found")
            elif route.kind == "hang":
                self.release.wait(30)
            elif route.kind == "redirect":
                handler.send_response(302)
                handler.send_header("Location", route.location)
                handler.end_headers()
            elif route.kind == "flaky" and count <= route.size:
                handler.send_error(503, "Service Unavailable")
            elif route.kind == "stream":
                handler.send_response(200)
                handler.send_header("Content-Type", route.content_type)
                handler.end_headers()  # no Content-Length: the client must count
                block = b"<p>" + b"filler text " * 5000 + b"</p>\n"
                while self.sent[path] < route.size and not self.release.is_set():
                    handler.wfile.write(block)
                    self.sent[path] += len(block)
            else:
                handler.send_response(route.status)
                handler.send_header("Content-Type", route.content_type)
                handler.send_header("Content-Length", str(len(route.body)))
                handler.end_headers()
                handler.wfile.write(route.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading: what the size limit is for
