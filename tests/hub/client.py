"""A person at a browser, as HTTP: log in to the hub, start one's server, use it.

:class:`HubUser` keeps the cookies a browser keeps (the hub's login cookie, then the
cookie the user's server sets after JupyterHub's OAuth redirects), and sends the XSRF
header Jupyter asks of cookie-authenticated writes.  Terminals are driven over their
websocket, as JupyterLab's terminal does.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass

import requests
import websocket
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from deploy.localhub import Account


@dataclass
class ShellResult:
    output: str
    status: int


class HubUser:
    """One account logged in to the hub at ``hub_url`` (``http://127.0.0.1:port``)."""

    def __init__(self, hub_url: str, account: Account):
        self.hub_url = hub_url
        self.account = account
        self.http = requests.Session()
        # A browser sends a request again when a kept-alive connection was closed under it
        # ("connection reset", seen on a busy machine while servers start); so does this
        # session, for reads only: a write is never sent twice.
        retry = Retry(total=3, connect=3, read=3, status=0, backoff_factor=0.2,
                      allowed_methods=frozenset({"GET", "HEAD"}), raise_on_status=False)
        self.http.mount("http://", HTTPAdapter(max_retries=retry))
        self.server_prefix = f"/user/{account.name}/"

    # --- the hub ----------------------------------------------------------------------------
    def _xsrf(self, path: str) -> str:
        return next(c.value for c in self.http.cookies if c.name == "_xsrf" and c.path == path)

    def login(self) -> requests.Response:
        """Post the login form (username, password, the form's XSRF token)."""
        self.http.get(f"{self.hub_url}/hub/login").raise_for_status()
        return self.http.post(f"{self.hub_url}/hub/login", allow_redirects=False, data={
            "username": self.account.name, "password": self.account.password, "_xsrf": self._xsrf("/hub/")})

    def hub_api(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"X-XSRFToken": self._xsrf("/hub/")}
        return self.http.request(method, f"{self.hub_url}/hub/api{path}", headers=headers, **kwargs)

    def request_server(self) -> None:
        """Ask the hub to start this user's server (returns while it is still starting)."""
        response = self.hub_api("POST", f"/users/{self.account.name}/server")
        if response.status_code not in (201, 202, 400):  # 400: already running
            raise RuntimeError(f"spawn of {self.account.name}: {response.status_code} {response.text}")

    def open_server(self, timeout: float = 150) -> None:
        """Wait until this user's server is ready, then open it once, as a browser would.

        Opening it runs the OAuth redirects that give this session the server's cookie.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.hub_api("GET", f"/users/{self.account.name}").json()
            server = model.get("servers", {}).get("")
            if server and server.get("ready"):
                break
            if not model.get("pending") and not server:
                raise RuntimeError(f"server of {self.account.name} did not start: {model}")
            time.sleep(0.5)
        else:
            raise TimeoutError(f"server of {self.account.name} not ready after {timeout} s")
        page = self.http.get(f"{self.hub_url}{self.server_prefix}lab", headers={"Accept": "text/html"})
        page.raise_for_status()
        assert page.url.startswith(f"{self.hub_url}{self.server_prefix}"), page.url

    def token(self) -> str:
        """A new API token of this user (what a server or a script acts with)."""
        response = self.hub_api("POST", f"/users/{self.account.name}/tokens",
                                json={"note": "hub test", "expires_in": 3600})
        response.raise_for_status()
        return response.json()["token"]

    # --- one's own server (or, to test refusals, someone else's) --------------------------
    def server(self, method: str, path: str, *, user: str | None = None, follow: bool = False,
               **kwargs) -> requests.Response:
        """A request to ``/user/<user>/<path>`` (default: this user's own server).

        ``follow`` follows redirects (a browser would: to the hub's OAuth, and back).
        """
        prefix = f"/user/{user}/" if user else self.server_prefix
        headers = kwargs.pop("headers", {})
        if method != "GET":
            headers["X-XSRFToken"] = self._xsrf(self.server_prefix)
        return self.http.request(method, f"{self.hub_url}{prefix}{path.lstrip('/')}", headers=headers,
                                 allow_redirects=follow, **kwargs)

    def json(self, method: str, path: str, **kwargs):
        response = self.server(method, path, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path} as {self.account.name}: {response.status_code} {response.text[:2000]}")
        return response.json()

    def read_notebook(self, path: str) -> dict:
        return self.json("GET", f"api/contents/{path}?content=1&type=notebook")["content"]

    def write_notebook(self, path: str, notebook: dict) -> None:
        self.json("PUT", f"api/contents/{path}", json={"type": "notebook", "format": "json", "content": notebook})

    def read_text(self, path: str) -> str:
        return self.json("GET", f"api/contents/{path}?content=1&type=file&format=text")["content"]

    def listing(self, path: str) -> list[str]:
        return sorted(item["name"] for item in self.json("GET", f"api/contents/{path}?content=1")["content"])

    def browser_cookies(self) -> list[dict]:
        """This session's cookies, in the form Playwright's ``BrowserContext.add_cookies`` takes."""
        return [{"name": c.name, "value": c.value, "domain": c.domain or "127.0.0.1", "path": c.path or "/"}
                for c in self.http.cookies]

    def shell(self, command: str, timeout: float = 300) -> ShellResult:
        """Run ``command`` in a new terminal of this user's server; its output and exit status."""
        name = self.json("POST", "api/terminals")["name"]
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies
                            if self.server_prefix.startswith(c.path.rstrip("/") + "/") or c.path == "/")
        ws_url = (self.hub_url.replace("http", "ws", 1) + f"{self.server_prefix}terminals/websocket/{name}")
        connection = websocket.create_connection(ws_url, cookie=cookies, origin=self.hub_url, timeout=timeout)
        marker = f"__done_{secrets.token_hex(4)}"
        try:
            # The marker is printed by the shell, so the echoed command line never matches it.
            connection.send(json.dumps(["stdin", f"{command}; printf '%s %s\\n' {marker} $?\r"]))
            output, deadline = "", time.monotonic() + timeout
            pattern = re.compile(rf"{marker} (\d+)")
            while time.monotonic() < deadline:
                message = json.loads(connection.recv())
                if message[0] == "stdout":
                    output += message[1]
                    found = pattern.search(output)
                    if found:
                        return ShellResult(output[:found.start()], int(found.group(1)))
            raise TimeoutError(f"`{command}` as {self.account.name} did not finish:\n{output[-3000:]}")
        finally:
            connection.close()
            self.server("DELETE", f"api/terminals/{name}")
