"""A browser-like Streamlit client for bench/load.py: one websocket session speaking Streamlit's protocol.

It does what the browser's frontend does for the actions the load test needs, with Streamlit's own protobufs
(``streamlit.proto``) on ``/_stcore/stream``:

* ``open(slug, query)``: connect and send the first ``rerun_script`` BackMsg of a tab (page name from the URL
  path, the query string of the link, the context info), as opening a copied link does;
* ``switch_page(slug)``: a ``rerun_script`` with the target's ``page_script_hash`` (from the ``navigation``
  ForwardMsg), as clicking a sidebar link does;
* ``set_widget(key, value)``: a ``rerun_script`` carrying the new widget state of a sidebar filter (the widget
  id is read from the elements the server drew in the previous run), as touching the widget does;
* ``click(key)``: a ``rerun_script`` with a button's trigger (sent once), as clicking it does.

The KPI tiles a run drew (``st.metric``, label -> value) are kept in ``metrics``; tiles that come back as
references to earlier messages are not, so read them from a freshly opened session.

Each action is timed from sending until the server's ``script_finished`` (the moment the frontend shows the
page as finished; the browser's own rendering is not included). Like the frontend, the session keeps the
hashes of cacheable messages and sends them with every rerun, so unchanged large elements come back as
references. Errors of an action: an exception element, an error alert, the "database busy / reconnect"
warnings, a finish status other than success, a timeout or a lost connection.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

LOCAL_HOSTS = ("127.0.0.1", "localhost")
WIDGET_KINDS = ("radio", "multiselect", "date_input", "number_input", "button")
FINISHED_OK = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
# Warnings that mean the request failed (app.py / app_pages/_store.py): "database busy", "reconnected".
FAILURE_WARNINGS = ("数据库正被其他进程使用", "数据库连接出现严重错误", "The database is in use", "database connection")


def check_local(base: str) -> None:
    host = urlsplit(base).hostname
    if host not in LOCAL_HOSTS:
        raise SystemExit(f"refusing to load-test {host!r}: only 127.0.0.1 / localhost (this machine) are allowed")


@dataclass
class Result:
    """One timed action."""

    action: str           # open | page | filter
    page: str             # url path of the page the run drew ("" = default page)
    detail: str           # the link's query string, or the filter that changed
    seconds: float
    ok: bool
    error: str = ""
    messages: int = 0
    bytes: int = 0
    refs: int = 0          # messages the server sent as references to ones this session already had
    warnings: list[str] = field(default_factory=list)


@dataclass
class Widget:
    id: str
    kind: str
    options: tuple[str, ...] = ()
    min: str = ""
    max: str = ""


class StreamlitSession:
    """One browser tab: one websocket, one server-side session."""

    def __init__(self, base: str, locale: str = "zh-CN", timezone: str = "Asia/Shanghai", timeout_s: float = 120):
        check_local(base)
        self.base = base.rstrip("/")
        self.ws_url = "ws" + self.base[len("http"):] + "/_stcore/stream"
        self.locale, self.timezone, self.timeout_s = locale, timezone, timeout_s
        self.ws = None
        self.pages: dict[str, str] = {}      # url path -> page_script_hash
        self.page_hash = ""
        self.query_string = ""
        self.widgets: dict[str, Widget] = {}  # user key (w_sources ...) -> the element the last run drew
        self.changed: dict[str, object] = {}  # user key -> value this session set (sent with every rerun)
        self.metrics: dict[str, str] = {}     # label -> value of the st.metric tiles the last run drew
        self._known: dict[str, tuple[str, str]] = {}  # cached message hash -> (element kind, error text)

    # ------------------------------------------------------------------------------------------- actions
    async def open(self, slug: str, query: str) -> Result:
        await self.close()
        self.pages, self.page_hash, self.query_string = {}, "", query
        self.widgets, self.changed, self._known = {}, {}, {}
        started = time.perf_counter()
        try:
            self.ws = await asyncio.wait_for(
                connect(self.ws_url, subprotocols=["streamlit"], max_size=None, origin=self.base,
                        compression=None, open_timeout=self.timeout_s), self.timeout_s)
        except (OSError, asyncio.TimeoutError) as err:
            return Result("open", slug, query, time.perf_counter() - started, False, f"connect: {err!r}")
        return await self._rerun("open", slug, query, started, page_name=slug)

    async def switch_page(self, slug: str) -> Result:
        started = time.perf_counter()
        if slug not in self.pages:
            return Result("page", slug, "", 0.0, False, f"no page {slug!r} in the navigation")
        return await self._rerun("page", slug, "", started, page_hash=self.pages[slug])

    async def set_widget(self, key: str, value: object, label: str = "") -> Result:
        started = time.perf_counter()
        if key not in self.widgets:
            return Result("filter", self.current_slug(), key, 0.0, False, f"no widget {key!r} on the page")
        self.changed[key] = value
        return await self._rerun("filter", self.current_slug(), label or key, started, page_hash=self.page_hash)

    async def click(self, key: str) -> Result:
        """Click the button with user key ``key`` on the current page (the trigger is sent with one rerun)."""
        started = time.perf_counter()
        if key not in self.widgets or self.widgets[key].kind != "button":
            return Result("click", self.current_slug(), key, 0.0, False, f"no button {key!r} on the page")
        self.changed[key] = True
        try:
            return await self._rerun("click", self.current_slug(), key, started, page_hash=self.page_hash)
        finally:
            self.changed.pop(key, None)

    async def close(self) -> None:
        if self.ws is not None:
            ws, self.ws = self.ws, None
            try:
                await asyncio.wait_for(ws.close(), 10)
            except Exception:  # noqa: BLE001 - closing a broken socket
                pass

    def current_slug(self) -> str:
        for slug, h in self.pages.items():
            if h == self.page_hash:
                return slug
        return ""

    # ------------------------------------------------------------------------------------------ protocol
    def _backmsg(self, page_name: str, page_hash: str) -> bytes:
        msg = BackMsg()
        rs = msg.rerun_script
        rs.query_string = self.query_string
        rs.page_script_hash = page_hash
        rs.page_name = page_name
        rs.cached_message_hashes.extend(self._known)
        info = rs.context_info
        info.timezone, info.locale = self.timezone, self.locale
        info.timezone_offset = -480
        info.url = f"{self.base}/{page_name}" + (f"?{self.query_string}" if self.query_string else "")
        for key, value in self.changed.items():
            w = self.widgets.get(key)
            if w is None:
                continue
            state = rs.widget_states.widgets.add()
            state.id = w.id
            if w.kind in ("multiselect", "date_input"):
                state.string_array_value.data.extend(list(value))
            elif w.kind == "radio":
                state.string_value = str(value)
            elif w.kind == "number_input":
                state.double_value = float(value)
            elif w.kind == "button":
                state.trigger_value = bool(value)
        return msg.SerializeToString()

    async def _rerun(self, action: str, slug: str, detail: str, started: float, page_name: str = "",
                     page_hash: str = "") -> Result:
        res = Result(action, slug, detail, 0.0, False)
        self.metrics = {}
        if self.ws is None:
            res.error = "not connected"
            return res
        try:
            await self.ws.send(self._backmsg(page_name, page_hash))
            deadline = started + self.timeout_s
            errors: list[str] = []
            while True:
                left = deadline - time.perf_counter()
                if left <= 0:
                    raise asyncio.TimeoutError
                data = await asyncio.wait_for(self.ws.recv(), left)
                res.messages += 1
                res.bytes += len(data)
                fm = ForwardMsg()
                fm.ParseFromString(data)
                kind = fm.WhichOneof("type")
                if kind == "delta":
                    self._on_delta(fm, errors, res)
                elif kind == "ref_hash":
                    res.refs += 1
                    _, err = self._known.get(fm.ref_hash, ("", ""))
                    if err:
                        errors.append(err)
                elif kind == "navigation":
                    self.pages = {p.url_pathname: p.page_script_hash for p in fm.navigation.app_pages}
                    self.page_hash = fm.navigation.page_script_hash or self.page_hash
                elif kind == "new_session":
                    self.page_hash = fm.new_session.page_script_hash or self.page_hash
                elif kind == "page_info_changed":
                    self.query_string = fm.page_info_changed.query_string
                elif kind == "page_not_found":
                    errors.append(f"page not found: {fm.page_not_found.page_name}")
                elif kind == "session_event" and fm.session_event.WhichOneof("type") == "script_compilation_exception":
                    errors.append("script compilation exception")
                elif kind == "script_finished":
                    status = fm.script_finished
                    if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                        continue  # the run was replaced by a newer one: wait for that one
                    if status not in FINISHED_OK:
                        errors.append(f"script finished with status {ForwardMsg.ScriptFinishedStatus.Name(status)}")
                    break
        except asyncio.TimeoutError:
            errors.append(f"timeout after {self.timeout_s:.0f} s")
        except Exception as err:  # noqa: BLE001 - a lost connection is an error of this action
            errors.append(f"connection: {err!r}")
            await self.close()
        res.seconds = time.perf_counter() - started
        res.page = self.current_slug() or slug
        res.ok = not errors
        res.error = "; ".join(dict.fromkeys(errors))
        return res

    def _on_delta(self, fm: ForwardMsg, errors: list[str], res: Result) -> None:
        delta = fm.delta
        if delta.WhichOneof("type") != "new_element":
            return
        el = delta.new_element
        ek = el.WhichOneof("type")
        err = ""
        if ek == "exception":
            err = f"exception: {el.exception.type}: {el.exception.message[:200]}"
        elif ek == "alert":
            body = el.alert.body
            if el.alert.format == Alert.ERROR:
                err = f"error alert: {body[:200]}"
            elif el.alert.format == Alert.WARNING:
                if any(w in body for w in FAILURE_WARNINGS):
                    err = f"warning: {body[:200]}"
                else:
                    res.warnings.append(body[:200])
        elif ek == "metric":
            self.metrics[el.metric.label] = el.metric.body
        elif ek in WIDGET_KINDS:
            proto = getattr(el, ek)
            wid = proto.id
            if wid.startswith("$$ID-"):
                key = wid.rsplit("-", 1)[-1]
                self.widgets[key] = Widget(wid, ek, tuple(getattr(proto, "options", ())),
                                           getattr(proto, "min", ""), getattr(proto, "max", ""))
        if err:
            errors.append(err)
        if fm.hash and fm.metadata.cacheable:
            self._known[fm.hash] = (ek, err)
