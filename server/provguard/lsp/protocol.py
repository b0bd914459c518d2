"""pygls's protocol, minus its own copy of every open document, and strict about what a message must be.

The session keeps documents (bytes, tree-sitter tree, line index); letting pygls keep a second copy would
double the memory and the work of every edit.

pygls checks a message's params while parsing the JSON, where the request's id is not known yet: a request
with invalid params (a negative position, `codeAction` without `context`) got no response at all, only an
error popup, and the client waited forever. Here each frame body is parsed first and its params checked
against the method's types after (lsprotocol's for LSP methods, `CustomMethod.params` for provguard's), so
every request is answered: InvalidParams (-32602) naming each field that is wrong, InvalidRequest (-32600)
for a message that is not a request, ParseError (-32700, id null) for a body that is not JSON. A notification
with invalid params is logged and dropped (JSON-RPC forbids answering one).

Positions are checked as LSP types them (uinteger: 0 to 2^31 - 1): anything else is invalid params. A valid
position past the end of its line or of the document is clamped to that end (positions.LineIndex.offset).
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import attrs
import cattrs
from cattrs.v import format_exception, transform_error
from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInternalError,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
)
from pygls.protocol import JsonRPCNotification, JsonRPCRequestMessage, LanguageServerProtocol, lsp_method
from pygls.protocol.json_rpc import MsgId

from provguard.lsp import plain_json
from provguard.printable import printable
from provguard.untrusted_json import NotJson, describe, loads_untrusted

log = logging.getLogger(__name__)

_NO_PARAMS = (None, type(None))


@dataclass(frozen=True)
class CustomMethod:
    """A provguard method outside LSP: its params type (an attrs class, camelCase on the wire) and whether
    it is a request (answered) or a notification."""

    params: type
    request: bool


class Invalid(Exception):
    """A message refused before any handler ran: the error to answer a request with."""

    def __init__(self, error: JsonRpcException, msg_id: MsgId | None, method: str | None, request: bool) -> None:
        super().__init__(error.message)
        self.error, self.msg_id, self.method, self.request = error, msg_id, method, request


class _BadParams(Exception):
    """Params of the wrong shape, found before cattrs looks at them."""


class ProvguardProtocol(LanguageServerProtocol):
    custom_methods: dict[str, CustomMethod]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.custom_methods = {}

    # -- frames and messages ------------------------------------------------------------------------------

    def handle_body(self, body: bytes) -> None:
        """One frame body from the client: parsed, checked, and handed to pygls; never raises (but SystemExit,
        which is how pygls's `exit` ends the process)."""
        raw = loads_untrusted(body)  # nesting bounded: no handler or converter below recurses on client data
        if isinstance(raw, NotJson):
            reason = describe(raw)
            log.warning("message refused: not JSON: %s", reason)
            self._answer_error(None, JsonRpcParseError(f"Parse error: {reason}"))
            return
        try:
            message = self._checked(raw)
        except Invalid as invalid:
            self._refuse(invalid)
            return
        except JsonRpcException as exc:  # a response from the client that does not fit the request it answers
            log.warning("response ignored: %s", exc.message)
            return
        except Exception:
            log.exception("message refused: it could not be read")
            msg_id = raw.get("id") if isinstance(raw, dict) and "method" in raw else None
            if isinstance(msg_id, (int, str)) and not isinstance(msg_id, bool):
                self._answer_error(msg_id, JsonRpcInternalError("Internal Error: the message could not be read"))
            return
        if message is None:
            return
        try:
            self.handle_message(message)
        except Exception:  # pygls answers requests itself; anything escaping it is a bug, not a reason to stop
            log.exception("handling %s failed", getattr(message, "method", "a response"))

    def _checked(self, raw: Any) -> Any:
        """The message as pygls handles it, or None for one that is only logged; raises Invalid."""
        if not isinstance(raw, dict):
            raise Invalid(JsonRpcInvalidRequest("Invalid Request: a message is a JSON object"), None, None, True)
        method = raw.get("method")
        msg_id = raw.get("id")
        good_id = isinstance(msg_id, (int, str)) and not isinstance(msg_id, bool)
        is_request = "id" in raw
        if "method" not in raw:
            if good_id and ("result" in raw or "error" in raw) and raw.get("jsonrpc") == self.VERSION:
                return self.structure_message(raw)  # a response to one of the server's requests
            log.warning("message ignored: neither a request, a notification nor a response")
            return None
        answer_id = msg_id if good_id else None
        if not isinstance(method, str):
            raise Invalid(JsonRpcInvalidRequest("Invalid Request: method must be a string"), answer_id, None,
                          is_request)
        if raw.get("jsonrpc") != self.VERSION:
            raise Invalid(JsonRpcInvalidRequest('Invalid Request: jsonrpc must be "2.0"'), answer_id, method,
                          is_request)
        if is_request and not good_id:
            raise Invalid(JsonRpcInvalidRequest("Invalid Request: id must be an integer or a string"), None,
                          method, True)
        if is_request and self._shutdown:
            raise Invalid(JsonRpcInvalidRequest("Invalid Request: the server is shutting down"), msg_id, method,
                          True)
        root = "$.params" if method in self.custom_methods else "$"
        try:
            return self._typed(raw, method, msg_id, is_request)
        except _BadParams as exc:
            problem = str(exc)
        except cattrs.BaseValidationError as exc:
            problem = "; ".join(_camel(m) for m in transform_error(exc, path=root, format_exception=_reason))
        except (TypeError, ValueError, AttributeError, RecursionError) as exc:
            problem = str(exc) or type(exc).__name__
        error = JsonRpcInvalidParams(f"Invalid params for {method}: {problem}")
        raise Invalid(error, msg_id if is_request else None, method, is_request)

    def _typed(self, raw: dict[str, Any], method: str, msg_id: Any, is_request: bool) -> Any:
        if (custom := self.custom_methods.get(method)) is not None:
            params = _present(raw, custom.params)
            typed: Any = self._converter.structure(params, custom.params)
            if is_request:
                return JsonRPCRequestMessage(id=msg_id, method=method, jsonrpc=self.VERSION, params=typed)
            return JsonRPCNotification(method=method, jsonrpc=self.VERSION, params=typed)
        message_type = self.get_message_type(method)
        if message_type is None:  # no handler either: pygls answers MethodNotFound or ignores the notification
            if is_request:
                return JsonRPCRequestMessage(id=msg_id, method=method, jsonrpc=self.VERSION, params=None)
            return JsonRPCNotification(method=method, jsonrpc=self.VERSION, params=None)
        params_type = types.METHOD_TO_TYPES[method][2]
        checked = dict(raw)
        if params_type in _NO_PARAMS:
            checked.pop("params", None)  # shutdown, exit: there is nothing to check
        else:
            checked["params"] = _present(raw, params_type)
        if not is_request:
            checked.pop("id", None)
        message = self._converter.structure(checked, message_type)
        if is_request and not hasattr(message, "id"):  # a notification's method sent with an id: still answered
            return JsonRPCRequestMessage(id=msg_id, method=method, jsonrpc=self.VERSION, params=message.params)
        return message

    def _refuse(self, invalid: Invalid) -> None:
        if invalid.request:
            log.warning("request %r refused: %s", invalid.msg_id, invalid.error.message)
            self._answer_error(invalid.msg_id, invalid.error)
            return
        message = printable(f"{invalid.method or 'notification'} ignored: {invalid.error.message}")
        log.warning("%s", message)
        self.notify(types.WINDOW_LOG_MESSAGE, types.LogMessageParams(type=types.MessageType.Warning, message=message))

    def _answer_error(self, msg_id: MsgId | None, error: JsonRpcException) -> None:
        """An error response; `"id": null` written out when the id is unknown, as JSON-RPC asks (lsprotocol's
        converter would leave the member out)."""
        if msg_id is not None:
            self._send_response(msg_id, error=error.to_response_error())
            return
        self._send_data({"jsonrpc": self.VERSION, "id": None, "error": {"code": error.code, "message": error.message}})

    def _send_handler_result(self, future: Future[Any], *, msg_id: MsgId) -> None:
        """A handler that found its params invalid answers so, with one log line instead of a traceback."""
        if not future.cancelled() and isinstance(exc := future.exception(), JsonRpcInvalidParams):
            self._request_futures.pop(msg_id, None)
            log.warning("request %r refused: %s", msg_id, exc.message)
            self._send_response(msg_id, error=exc.to_response_error())
            return
        super()._send_handler_result(future, msg_id=msg_id)

    def _send_response(self, msg_id: MsgId, result: Any | None = None,
                       error: types.ResponseError | None = None) -> None:
        """A result the handler gave already encoded (a pulled report, kept encoded between edits as a push's
        diagnostics are) is written as is: pygls would have cattrs walk it and json.dumps it whole again."""
        if error is None and isinstance(result, plain_json.Encoded) and msg_id is not None:
            self._result_types.pop(msg_id, None)
            plain_json.respond_encoded(self, msg_id, result)
            return
        super()._send_response(msg_id, result, error)

    # -- documents are the session's, not pygls's ---------------------------------------------------------

    def _user_handler(self, method: str, params: Any) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(method)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams) -> Generator[Any, Any, None]:
        yield from self._user_handler(types.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: types.DidChangeTextDocumentParams
    ) -> Generator[Any, Any, None]:
        yield from self._user_handler(types.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(
        self, params: types.DidCloseTextDocumentParams
    ) -> Generator[Any, Any, None]:
        yield from self._user_handler(types.TEXT_DOCUMENT_DID_CLOSE, params)


def _present(raw: dict[str, Any], params_type: Any) -> Any:
    """The params to check: an omitted `params` counts as `{}` when the type needs no field, else is missing."""
    if "params" in raw:
        params = raw["params"]
        if attrs.has(params_type) and not isinstance(params, dict):
            raise _BadParams(f"params must be an object, not {_json_type(params)}")
        return params
    if attrs.has(params_type) and all(f.default is not attrs.NOTHING for f in attrs.fields(params_type)):
        return {}
    raise _BadParams("params is missing")


def _reason(exc: BaseException, type_: Any) -> str:
    """cattrs's wording, plus the validator's own message (lsprotocol's says the allowed range)."""
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, ValueError) and str(exc):
        return f"invalid value: {exc}"
    return format_exception(exc, type_)


def _camel(message: str) -> str:
    """`... @ $.params.text_document` as the client spells it: `... @ params.textDocument`."""
    text, at, path = message.rpartition(" @ ")
    if not at:
        return message
    path = path.removeprefix("$.").removeprefix("$")
    parts = [part.split("_")[0] + "".join(p.title() for p in part.split("_")[1:]) for part in path.split(".")]
    return f"{text} @ {'.'.join(parts) or 'params'}"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array"}.get(
        type(value), type(value).__name__)
