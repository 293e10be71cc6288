"""The grading kernel's half of a test: run what the grader asks, report what came back.

When a notebook is graded, the grader replaces each test cell by one call of
:func:`report` with a *plan*: the calls the cell's checks make of the student's
functions (which function, which arguments, with the hidden inputs the grader drew),
and the answer variables they read.  This module makes exactly those calls, through
:func:`course.kernel.calls.call_student` (warnings, stderr, exits and endless loops are
caught as in any check), and publishes what happened as one ``display_data`` output
of MIME type :data:`REPORT_MIME`:

    {"plan": <the plan's id>,
     "calls": [{"ok": <value>, "warnings": [[category, message, is_runtime]], "stderr": "…"}
               | {"error": "<what went wrong>", "misconception": <id or null>}, …],   # in plan order
     "names": {"z1": <value>, …},        # the plan's variables that exist
     "globals": ["x", "z1", …],          # every public name the notebook defines
     "inputs": ["<cell source>", …]}     # IPython's input history, when a variable is missing

(values encoded by :mod:`course.kernel.codec`).  Nothing here judges: the kernel holds no
check, expected value or tolerance.  Student code can change what is reported, never
what the grader concludes from it.

A plan's argument may be ``{"t": "ref", "call": k, "path": [i, …]}``: the value the
student's function returned in call ``k`` (item ``i`` of it, …), passed on as it was,
e.g. a student's own ``deep_forward`` result into their ``deep_backward``.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Mapping

from course.kernel.messages import GradingError
from course.kernel.calls import call_student
from course.kernel.codec import decode, encode

__all__ = ["REPORT_MIME", "report", "collect"]

REPORT_MIME = "application/vnd.backprop-by-hand.report+json"
MAX_STDERR = 2_000
MAX_INPUTS = 300
READ_TIME_LIMIT = 10.0   # seconds to read one value a student's code gave


def _argument(spec: Any, returned: list) -> Any:
    if isinstance(spec, dict) and spec.get("t") == "ref":
        value = returned[spec["call"]]
        for index in spec.get("path", []):
            value = value[index]
        return value
    return decode(spec)


def _encoded(value: Any, what: str) -> dict:
    """``encode(value)``, watched like a call of student code: reading a student's object
    runs its methods (``__float__``, ``__array__``), which may loop forever."""
    try:
        return call_student(encode, value, what=f"reading {what}", time_limit=READ_TIME_LIMIT).value
    except GradingError as error:
        return {"t": "object", "type": "", "name": type(value).__name__, "repr": f"(could not be read: {error})"}


def _warning(message) -> list:
    category = message.category
    return [category.__name__, str(message.message)[:500], issubclass(category, RuntimeWarning)]


def _call(namespace: Mapping[str, Any], call: dict, returned: list) -> dict:
    label = call["label"]
    if label not in namespace:
        returned.append(None)
        return {"error": f"{label} is not defined: run the cell that defines it (and fix any error it "
                         f"shows), then run the notebook from the top.", "misconception": "missing_answer"}
    try:
        args = [_argument(spec, returned) for spec in call["args"]]
        kwargs = {key: _argument(spec, returned) for key, spec in call["kwargs"].items()}
    except Exception as error:  # noqa: BLE001 - an earlier result that cannot be passed on
        returned.append(None)
        return {"error": f"{call['what']} could not be called: an earlier result of yours could not be "
                         f"passed on ({type(error).__name__}).", "misconception": None}
    try:
        result = call_student(namespace[label], *args, what=call["what"], time_limit=call["time_limit"],
                              forbid_autodiff=call["forbid_autodiff"], **kwargs)
    except GradingError as error:
        returned.append(None)
        return {"error": str(error), "misconception": error.misconception}
    returned.append(result.value)
    return {"ok": _encoded(result.value, call["what"]), "warnings": [_warning(w) for w in result.warnings][:20],
            "stderr": result.stderr[:MAX_STDERR]}


def collect(plan: dict, namespace: Mapping[str, Any]) -> dict:
    """The report of ``plan`` (a dict, see the module doc) run against ``namespace``."""
    returned: list = []
    calls = [_call(namespace, call, returned) for call in plan["calls"]]
    names = {name: _encoded(namespace[name], name) for name in plan["names"] if name in namespace}
    payload = {"plan": plan["id"], "calls": calls, "names": names,
               "globals": [name for name in list(namespace) if isinstance(name, str) and not name.startswith("_")][:5000]}
    if len(names) < len(plan["names"]):
        history = namespace.get("In")
        if isinstance(history, list):
            payload["inputs"] = [source[:20_000] for source in history if isinstance(source, str)][-MAX_INPUTS:]
    return payload


def _publish(payload: dict) -> None:
    from IPython.display import publish_display_data

    publish_display_data({REPORT_MIME: payload, "text/plain": ""})


def report(plan: str, namespace: Mapping[str, Any], publish: Callable[[dict], None] | None = None) -> None:
    """Run the grader's ``plan`` (JSON text) against the notebook's ``namespace`` (its
    ``globals()``) and publish the report; never raises for anything a student wrote."""
    (publish or _publish)(collect(json.loads(plan), namespace))
