"""A real HTTP server on 127.0.0.1 that speaks the Graph API's Messenger edges, for a generated
Page: `GET /{page-id}/conversations?platform=messenger` (newest-updated first, cursor paging,
nested `messages.limit(n){...}`) and `GET /{conversation-id}/messages`, as Meta documents them.

It behaves as the real one does where a sync can go wrong: paging URLs carry `access_token`;
a page can be empty and still have `next`; details come only for a thread's 20 most recent
messages; usage headers appear after a few calls and rise with calls per window; past the
budget it answers throttling errors with a time to regain access. Faults are scripted in
`GraphState.faults`, consumed one per call: "500", "drop" (closes the connection), "slow",
"nonjson", or "code:<code>[/<subcode>]" (a Graph error; 4, 17, 32, 613, 80001, 80006 are sent
with HTTP 400 and a usage header, others with 400 or 500 as Meta does).
"""

from __future__ import annotations

import base64
import json
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from powerpulse_pipeline.samples.dialogues import generate_threads

PAGE_ID = "1029384756"
PAGE_NAME = "Acme Support"
TOKEN = "EAAGfakePageToken0123456789abcdefSECRET"
DETAILS_LIMIT = 20
THROTTLE_CODES = {4, 17, 32, 341, 368, 613, 80001, 80006}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


@dataclass
class Message:
    id: str
    created: datetime
    from_page: bool
    text: str | None
    sticker: str | None = None


@dataclass
class Conversation:
    id: str
    customer_id: str
    customer_name: str
    messages: list[Message] = field(default_factory=list)  # oldest first

    @property
    def updated(self) -> datetime:
        return self.messages[-1].created


@dataclass
class GraphState:
    page_id: str = PAGE_ID
    conversations: dict[str, Conversation] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=lambda: {TOKEN})
    latency: float = 0.0
    slow_seconds: float = 35.0
    faults: deque[str] = field(default_factory=deque)
    details_limit: int = DETAILS_LIMIT  # Meta's: details for a thread's 20 newest
    raw_replies: deque[bytes] = field(default_factory=deque)  # sent as 200s, one per call
    empty_page_every: int = 0  # every n-th conversations page comes back empty (with next)
    # Rate limit: calls per `window` seconds; headers from the `usage_after`-th call on.
    budget: int | None = None
    window: float = 60.0
    usage_after: int = 3
    regain_minutes: float = 1.0
    calls: int = 0
    paths: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    auth_headers: set[str] = field(default_factory=set)
    urls: list[str] = field(default_factory=list)
    recent_calls: deque[float] = field(default_factory=deque)
    # Called before each reply with the call number: tests change the Page mid-pass.
    on_call: Callable[[int], None] | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)

    def add_message(
        self, conv_id: str, text: str, *, from_page: bool = False, at: datetime | None = None
    ) -> Message:
        with self.lock:
            conv = self.conversations[conv_id]
            at = at or datetime.now(UTC).replace(microsecond=0)
            message = Message(
                f"m_{conv_id}_{len(conv.messages)}_{int(at.timestamp())}", at, from_page, text
            )
            conv.messages.append(message)
            conv.messages.sort(key=lambda m: m.created)
            return message

    def message_count(self) -> int:
        return sum(len(c.messages) for c in self.conversations.values())

    def usage_percent(self) -> float:
        if self.budget is None:
            return 0.0
        return 100.0 * len(self.recent_calls) / self.budget


def generate_page(
    conversations: int,
    first_day: datetime,
    days: int,
    *,
    seed: int = 5,
    page_id: str = PAGE_ID,
    long_threads: int = 0,
    until: datetime | None = None,
) -> dict[str, Conversation]:
    """Conversations from the samples' dialogues; `long_threads` of them get 60 messages.
    With `until`, nothing later (a real Page has no message from the future)."""
    rng = random.Random(seed)
    result: dict[str, Conversation] = {}
    for index, thread in enumerate(
        generate_threads(threads=conversations, first_day=first_day, days=days, seed=seed)
    ):
        conv_id = f"t_{page_id}_{index:06d}"
        conv = Conversation(conv_id, str(10**14 + index), thread.customer)
        for n, line in enumerate(thread.lines):
            sticker = "369239263222822" if rng.random() < 0.02 and line.role == "customer" else None
            conv.messages.append(
                Message(
                    f"m_{conv_id}_{n}",
                    line.sent_at,
                    line.role == "agent",
                    None if sticker else line.text,
                    sticker,
                )
            )
        if index < long_threads:
            at = conv.messages[-1].created
            for n in range(len(conv.messages), 60):
                at += timedelta(minutes=3)
                conv.messages.append(
                    Message(f"m_{conv_id}_{n}", at, n % 2 == 1, f"follow-up number {n}")
                )
        if until is not None:
            conv.messages = [m for m in conv.messages if m.created <= until]
        if conv.messages:
            result[conv_id] = conv
    return result


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _uncursor(text: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def _nested_limit(fields: str) -> int | None:
    """`messages.limit(25){...}` in a conversations `fields` parameter."""
    marker = "messages.limit("
    if marker not in fields:
        return 25 if "messages" in fields else None
    start = fields.index(marker) + len(marker)
    return int(fields[start : fields.index(")", start)])


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    state: GraphState
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        """`POST /_test/messages {"conversation": id, "text": ...}`: a customer writes (for
        trying `make dev` by hand)."""
        self.state = state = self.server.states[0]
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        conv_id = body.get("conversation") or next(iter(state.conversations))
        message = state.add_message(conv_id, body.get("text", "Hello, is anyone there?"))
        self._send(200, {"id": message.id, "created_time": iso(message.created)})

    def do_GET(self) -> None:
        parts = [p for p in urlsplit(self.path).path.split("/") if p]
        if parts and parts[0].startswith("v") and parts[0][1:].replace(".", "").isdigit():
            parts = parts[1:]
        self.state = state = self.server.route(parts)
        with state.lock:
            state.calls += 1
            number = state.calls
            state.urls.append(self.path)
            auth = self.headers.get("authorization", "")
            state.auth_headers.add(auth)
            fault = state.faults.popleft() if state.faults else None
            raw_reply = state.raw_replies.popleft() if state.raw_replies else None
            hook = state.on_call
        if hook:
            hook(number)
        if state.latency:
            time.sleep(state.latency)
        if raw_reply is not None:
            self._send(200, None, raw=raw_reply)
            return
        if fault == "drop":
            self.close_connection = True
            self.connection.close()
            return
        if fault == "slow":
            time.sleep(state.slow_seconds)
        if fault == "500":
            self._send(500, {"message": "oops"}, raw=b"<html>Internal Server Error</html>")
            return
        if fault == "nonjson":
            self._send(200, None, raw=b"<html>not json</html>")
            return
        if fault and fault.startswith("code:"):
            code, _, sub = fault[5:].partition("/")
            self._error(int(code), int(sub) if sub else None)
            return
        token = auth.removeprefix("Bearer ").strip()
        query = parse_qs(urlsplit(self.path).query)
        token = token or (query.get("access_token") or [""])[0]
        if token not in state.tokens:
            self._error(190, 467, "Error validating access token: The session is invalid.")
            return
        with state.lock:
            now = time.monotonic()
            while state.recent_calls and state.recent_calls[0] < now - state.window:
                state.recent_calls.popleft()
            state.recent_calls.append(now)
            over = state.budget is not None and len(state.recent_calls) > state.budget
        if over:
            self._error(80001, None, "There have been too many calls to this Page account.")
            return
        try:
            if len(parts) == 2 and parts == [state.page_id, "conversations"]:
                state.paths["conversations"] += 1
                body = self._conversations(query, token)
            elif len(parts) == 2 and parts[1] == "messages" and parts[0] in state.conversations:
                state.paths["messages"] += 1
                body = self._messages(parts[0], query, token)
            else:
                self._error(100, 33, "Unsupported get request. Object does not exist.")
                return
        except (ValueError, KeyError):
            self._error(100, None, "Invalid cursor or parameter")
            return
        self._send(200, body)

    # -- edges -------------------------------------------------------------------------------

    def _next_url(self, path: str, query: dict[str, list[str]], after: str, token: str) -> str:
        params = {k: v[0] for k, v in query.items() if k not in {"after", "access_token"}}
        params["access_token"] = token
        params["after"] = after
        host = f"http://{self.headers.get('host')}"
        version = urlsplit(self.path).path.split("/")[1]
        prefix = (
            f"/{version}" if version.startswith("v") and not path.startswith(f"/{version}/") else ""
        )
        return f"{host}{prefix}{path}?{urlencode(params)}"

    def _conversations(self, query: dict[str, list[str]], token: str) -> dict[str, Any]:
        state = self.state
        limit = min(int((query.get("limit") or ["25"])[0]), 100)
        fields = (query.get("fields") or ["id,updated_time"])[0]
        with state.lock:
            ordered = sorted(
                state.conversations.values(), key=lambda c: (c.updated, c.id), reverse=True
            )
            position = 0
            cursor = query.get("after", [None])[0]
            if cursor is not None:
                last = _uncursor(cursor)
                if last:
                    key = (datetime.fromisoformat(last[0]), last[1])
                    # Cursor paging: the page after the last item seen, in the current order.
                    position = next(
                        (i for i, c in enumerate(ordered) if (c.updated, c.id) < key),
                        len(ordered),
                    )
            path = urlsplit(self.path).path
            page_number = state.paths["conversations"]
            if state.empty_page_every and page_number % state.empty_page_every == 0:
                # Nothing on this page, and still a next one: the same place again.
                same = cursor or _cursor([])
                return {
                    "data": [],
                    "paging": {"next": self._next_url(path, query, same, token)},
                }
            page = ordered[position : position + limit]
            nested = _nested_limit(fields)
            data = []
            for conv in page:
                item: dict[str, Any] = {"id": conv.id, "updated_time": iso(conv.updated)}
                if nested:
                    item["messages"] = self._message_page(conv, nested, None, query, token)
                data.append(item)
            result: dict[str, Any] = {"data": data}
            if page:
                after = _cursor([page[-1].updated.isoformat(), page[-1].id])
                result["paging"] = {"cursors": {"before": "QVFIUk", "after": after}}
                if position + limit < len(ordered):
                    result["paging"]["next"] = self._next_url(path, query, after, token)
            return result

    def _message_page(
        self,
        conv: Conversation,
        limit: int,
        after: str | None,
        query: dict[str, list[str]],
        token: str,
    ) -> dict[str, Any]:
        newest_first = list(reversed(conv.messages))
        start = 0
        if after:
            created, msg_id = _uncursor(after)
            key = (datetime.fromisoformat(created), msg_id)
            start = next(
                (i for i, m in enumerate(newest_first) if (m.created, m.id) < key),
                len(newest_first),
            )
        page = newest_first[start : start + limit]
        limit_ = self.state.details_limit
        data = [self._message(conv, m, start + i < limit_) for i, m in enumerate(page)]
        result: dict[str, Any] = {"data": data}
        if page:
            cursor = _cursor([page[-1].created.isoformat(), page[-1].id])
            result["paging"] = {"cursors": {"before": "QVFIUm", "after": cursor}}
            if start + limit < len(newest_first):
                params = {"limit": str(limit), "fields": "id,created_time,from,to,message"}
                result["paging"]["next"] = self._next_url(
                    f"/{conv.id}/messages", {k: [v] for k, v in params.items()}, cursor, token
                )
        return result

    def _messages(self, conv_id: str, query: dict[str, list[str]], token: str) -> dict[str, Any]:
        state = self.state
        limit = min(int((query.get("limit") or ["25"])[0]), 100)
        with state.lock:
            conv = state.conversations[conv_id]
            return self._message_page(conv, limit, (query.get("after") or [None])[0], query, token)

    def _message(self, conv: Conversation, message: Message, detailed: bool) -> dict[str, Any]:
        state = self.state
        item: dict[str, Any] = {"id": message.id, "created_time": iso(message.created)}
        if not detailed:
            return item
        page = {"id": state.page_id, "name": PAGE_NAME}
        customer = {"id": conv.customer_id, "name": conv.customer_name}
        item["from"] = page if message.from_page else customer
        item["to"] = {"data": [customer if message.from_page else page]}
        if message.text is not None:
            item["message"] = message.text
        if message.sticker:
            item["sticker"] = f"https://scontent.example/{message.sticker}.png"
            item["message"] = ""
        return item

    # -- replies -----------------------------------------------------------------------------

    def _usage_headers(self) -> dict[str, str]:
        state = self.state
        if state.calls < state.usage_after:
            return {}
        percent = min(int(state.usage_percent()), 100)
        regain = state.regain_minutes if percent >= 100 else 0
        entry = {
            "type": "pages",
            "call_count": percent,
            "total_cputime": percent // 2,
            "total_time": percent // 2,
            "estimated_time_to_regain_access": regain,
        }
        return {
            "X-Business-Use-Case-Usage": json.dumps({state.page_id: [entry]}),
            "X-App-Usage": json.dumps(
                {"call_count": percent // 3, "total_cputime": 1, "total_time": 1}
            ),
        }

    def _error(self, code: int, subcode: int | None, message: str | None = None) -> None:
        status = 500 if code in {1, 2} else 403 if code in {10, 200} else 400
        error: dict[str, Any] = {
            "message": message or f"(#{code}) simulated error",
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": "AbCdEf",
        }
        if subcode:
            error["error_subcode"] = subcode
        headers = {}
        if code in THROTTLE_CODES:
            state = self.state
            entry = {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 20,
                "total_time": 20,
                "estimated_time_to_regain_access": state.regain_minutes,
            }
            headers["X-Business-Use-Case-Usage"] = json.dumps({state.page_id: [entry]})
        self._send(status, {"error": error}, extra=headers)

    def _send(
        self,
        status: int,
        body: Any,
        raw: bytes | None = None,
        extra: dict[str, str] | None = None,
    ) -> None:
        state = self.state
        with state.lock:
            state.statuses[status] += 1
        payload = raw if raw is not None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in {**self._usage_headers(), **(extra or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    states: list[GraphState]

    def route(self, parts: list[str]) -> GraphState:
        """The Page a request is about: by its id, or by the conversation's."""
        for state in self.states:
            if parts[:1] == [state.page_id] or (parts and parts[0] in state.conversations):
                return state
        return self.states[0]

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up closes its end; that is not a server fault."""


@contextmanager
def fake_graph_server(*states: GraphState, port: int = 0) -> Iterator[str]:
    """Yields the base URL (POWERPULSE_FB_GRAPH_URL) of a server for these Pages (each with its
    own faults, budget and counts); the server stops when the block ends."""
    server = _Server(("127.0.0.1", port), _Handler)
    server.states = list(states)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v25.0/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def main() -> None:
    """Serve a generated Page until interrupted, to try `make dev` with
    POWERPULSE_FB_GRAPH_URL pointing here; `POST /_test/messages` adds a customer message."""
    import argparse

    parser = argparse.ArgumentParser(description="A local Graph API server with a generated Page")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    first = (datetime.now(UTC) - timedelta(days=args.days)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    state = GraphState(
        conversations=generate_page(args.conversations, first, args.days, until=datetime.now(UTC)),
        latency=args.latency,
    )
    with fake_graph_server(state, port=args.port) as url:
        print(f"serving {url} for Page {PAGE_ID} with token {TOKEN} (Ctrl-C stops)", flush=True)
        with suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
