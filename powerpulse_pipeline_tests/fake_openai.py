"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions API.

Faults are scripted per conversation by a marker in its text, so they stay deterministic with
many requests in flight: `[fault:429,500]` fails the first two attempts of that conversation
(then answers), `[fault:500*]` fails every attempt. Faults: 429 (with retry-after-ms), 500,
timeout (answers too late), drop (closes the connection), nonjson (content), badschema,
badquality (a review verdict outside the schema),
garbage (a 200 whose body is not a completion), 401.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_MARKER = re.compile(r"\[fault:([a-z0-9,*]+)\]")


@dataclass
class FakeState:
    latency: float = 0.0
    rpm: int | None = None  # enforced per second (rpm / 60), as real servers do
    timeout_sleep: float = 3.0
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    faults_served: Counter[str] = field(default_factory=Counter)
    attempts: Counter[str] = field(default_factory=Counter)
    bodies: list[str] = field(default_factory=list)
    auth_headers: set[str] = field(default_factory=set)
    window: deque[float] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)
    keep_bodies: bool = True
    # The reply's content for a request, in place of a score (the ask tests' model replies).
    content_for: Callable[[dict[str, Any]], str] | None = None
    schemas: Counter[str] = field(default_factory=Counter)  # requests per response schema
    embedding_requests: int = 0
    embedded_texts: Counter[str] = field(default_factory=Counter)  # inputs per text


def _score_for(text: str) -> dict[str, Any]:
    lowered = text.lower()
    happy = "thank" in lowered or "works now" in lowered
    agent = " ".join(line.lower() for line in text.splitlines() if line.startswith("Agent:"))
    asked = "?" in text or "please" in lowered
    return {
        "sentiment": 0.7 if happy else -0.4,
        "satisfaction": 5 if happy else 2,
        "resolved": happy,
        "topics": ["billing"] if "bill" in lowered else ["other"],
        "language": "en",
        "summary": "Customer asked for help." if happy else "Customer is unhappy.",
        # A review a test can predict from the agent's words.
        "qa_greeting": "pass" if agent.startswith(("agent: hi", "agent: hello")) else "fail",
        "qa_comprehension": "pass" if agent else "fail",
        "qa_empathy": "pass" if "sorry" in agent else ("not_applicable" if happy else "fail"),
        "qa_solution": ("pass" if "try" in agent or "done" in agent else "fail")
        if asked
        else "not_applicable",
        "qa_closing": "pass" if "anything else" in agent else "fail",
        "qa_tone": "fail" if "whatever" in agent else "pass",
        "coaching_note": "" if "anything else" in agent else "Offer more help before closing.",
    }


def coaching_for(request: dict[str, Any]) -> dict[str, Any]:
    """An agent-period coach's answer from what it was shown: the most failed category is the
    improvement, the most passed the strength, each citing reviews that show it."""
    shown = json.loads(request["messages"][-1]["content"])
    counts = shown["categories"]
    points: dict[str, list[dict[str, Any]]] = {"strengths": [], "improvements": []}
    for key, side in (("improvements", "failed"), ("strengths", "passed")):
        ranked = sorted((-n[side], c) for c, n in counts.items() if n[side])
        if ranked:
            category = ranked[0][1]
            refs = [r["ref"] for r in shown["reviews"] if category in r[side]][:2]
            points[key].append(
                {"category": category, "point": f"{side} {category} most", "examples": refs}
            )
    return points


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as two writes; without NODELAY, Nagle + delayed ACK add
        # ~40 ms to every reply, which real API servers do not.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        with self.server.state.lock:
            self.server.state.statuses[status] += 1

    def do_POST(self) -> None:
        arrived = time.monotonic()
        state = self.server.state
        body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
        request = json.loads(body)
        if self.path.rstrip("/").endswith("/embeddings"):
            self._embeddings(state, body, request)
            return
        user_text = request["messages"][-1]["content"]
        with state.lock:
            state.requests += 1
            if state.keep_bodies:
                state.bodies.append(body)
            state.auth_headers.add(self.headers.get("authorization", ""))
            state.attempts[user_text] += 1
            schema = (request.get("response_format") or {}).get("json_schema") or {}
            state.schemas[schema.get("name", "")] += 1
            attempt = state.attempts[user_text]
            limited = False
            limit_headers: dict[str, str] = {}
            if state.rpm:
                now = time.monotonic()
                while state.window and now - state.window[0] >= 1.0:
                    state.window.popleft()
                per_second = max(1, state.rpm // 60)
                limited = len(state.window) >= per_second
                if not limited:
                    state.window.append(now)
                limit_headers = {
                    "x-ratelimit-limit-requests": str(state.rpm),
                    "x-ratelimit-remaining-requests": str(max(0, per_second - len(state.window))),
                    "x-ratelimit-reset-requests": "1s",
                }
        if limited:
            self._send(
                429,
                {"error": {"message": "Rate limit reached", "type": "requests"}},
                {"retry-after-ms": "250", **limit_headers},
            )
            return
        fault = self._fault(user_text, attempt)
        if fault:
            with state.lock:
                state.faults_served[fault] += 1
        if fault == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        # The configured latency is the time from the request's arrival to the reply, however
        # long this fixture itself took to read and check it. It is read again while waiting:
        # a test that lowers it releases the requests already waiting.
        while True:
            wanted = state.timeout_sleep if fault == "timeout" else state.latency
            remaining = wanted - (time.monotonic() - arrived)
            if remaining <= 0:
                break
            time.sleep(min(remaining, 0.1))
        if fault == "429":
            self._send(
                429,
                {"error": {"message": "Rate limit reached", "type": "requests"}},
                {"retry-after-ms": "100"},
            )
        elif fault == "500":
            self._send(500, {"error": {"message": "The server had an error", "type": "server"}})
        elif fault == "garbage":
            payload = b"<html>502 Bad Gateway</html>"
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        elif fault == "401":
            key = self.headers.get("authorization", "").removeprefix("Bearer ")
            self._send(
                401,
                {
                    "error": {
                        "message": f"Incorrect API key provided: {key}.",
                        "type": "invalid_request_error",
                    }
                },
            )
        else:
            if state.content_for:
                content = state.content_for(request)
            elif schema.get("name") == "agent_coaching":
                content = json.dumps(coaching_for(request))
            elif schema.get("name") == "issue_label":
                words = json.loads(user_text)["distinctive_words"]
                content = json.dumps({"label": "Customers asking about " + " and ".join(words)})
            else:
                content = json.dumps(_score_for(user_text))
            if fault == "nonjson":
                content = "Sure! The customer seems happy."
            elif fault == "badschema":
                content = json.dumps({**_score_for(user_text), "satisfaction": 9})
            elif fault == "badquality":
                content = json.dumps({**_score_for(user_text), "qa_greeting": "maybe"})
            prompt_tokens = len(body) // 4
            self._send(
                200,
                {
                    "id": f"chatcmpl-{state.requests}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": request.get("model", "gpt-4o-mini"),
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": content},
                        }
                    ],
                    "usage": {
                        "prompt_tokens": prompt_tokens,
                        "completion_tokens": 60,
                        "total_tokens": prompt_tokens + 60,
                        "prompt_tokens_details": {"cached_tokens": 0},
                    },
                },
                limit_headers,
            )

    def _embeddings(self, state: FakeState, body: str, request: dict[str, Any]) -> None:
        """POST /embeddings: a bag of words hashed into 64 dimensions, so texts sharing words
        are near; `[fault:embed500]` in an input fails its batch's first attempt."""
        inputs = request["input"] if isinstance(request["input"], list) else [request["input"]]
        with state.lock:  # `requests` counts chat completions; these are counted apart
            state.embedding_requests += 1
            if state.keep_bodies:
                state.bodies.append(body)
            state.auth_headers.add(self.headers.get("authorization", ""))
            first = any(state.embedded_texts[t] == 0 for t in inputs)
            state.embedded_texts.update(inputs)
        if first and any("[fault:embed500]" in t for t in inputs):
            self._send(500, {"error": {"message": "embedding backend fell over"}})
            return
        data = []
        for index, text in enumerate(inputs):
            vector = [0.0] * 64
            for word in re.findall(r"\w+", text.lower()):
                vector[hashlib.sha256(word.encode()).digest()[0] % 64] += 1.0
            norm = sum(v * v for v in vector) ** 0.5 or 1.0
            vector = [v / norm for v in vector] if any(vector) else [1.0] + [0.0] * 63
            data.append({"object": "embedding", "index": index, "embedding": vector})
        tokens = sum(len(t.split()) for t in inputs)
        self._send(
            200,
            {
                "object": "list",
                "data": data,
                "model": request["model"],
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )

    def _fault(self, text: str, attempt: int) -> str | None:
        match = _MARKER.search(text)
        if not match:
            return None
        script = match.group(1).split(",")
        if script[-1].endswith("*"):
            forever = script[-1].rstrip("*")
            return script[attempt - 1] if attempt <= len(script) - 1 else forever
        return script[attempt - 1] if attempt <= len(script) else None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    state: FakeState

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout test) closes its end; that is not a server fault."""


@contextmanager
def fake_openai_server(**options: Any) -> Iterator[tuple[str, FakeState]]:
    """Yields (base_url, state); the server is stopped when the block ends."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = FakeState(**options)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", server.state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def main() -> None:
    """Serve until interrupted, e.g. to try `make dev` with OPENAI_BASE_URL pointing here."""
    import argparse

    parser = argparse.ArgumentParser(description="A local OpenAI-compatible test server")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--rpm", type=int, default=None)
    args = parser.parse_args()
    server = _Server(("127.0.0.1", args.port), _Handler)
    server.state = FakeState(latency=args.latency, rpm=args.rpm, keep_bodies=False)
    print(f"serving http://127.0.0.1:{args.port}/v1 (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
