"""A check's calls of student code: recorded before grading, answered from the report after.

A judge (``course.checks.*``) reaches student code in two ways only: it calls a student
function through :func:`course.kernel.calls.call_student`, and it reads answer variables from
the notebook's namespace.  The grader runs the same judge twice, and the kernel once:

1. **record** (grader, before the notebook runs): the judge runs against the reference
   implementations (:mod:`course.oracles.reference`) and a namespace of right answers.
   Every call it makes and every name it reads becomes the :class:`Plan`; with correct
   code the judge goes through all its cases, so the plan holds every call a student's
   code may be asked.
2. **report** (kernel): :func:`course.kernel.report.report` makes the plan's calls with
   the student's own functions and reads the student's variables.
3. **replay** (grader, after): the judge runs again, and each call and each read is
   answered from the report (:class:`Replay`).  The judge's verdict is therefore
   computed outside the student's process, from nothing but what came back.

Calls are matched by the function's name and the exact (encoded) arguments.  An argument
that is a value a student function returned earlier in the same check is sent as a
reference to that result, so the student's own ``deep_forward`` output goes into their
own ``deep_backward``.  A replayed judge asking for a call or a name the report lacks
raises :class:`ReportIncomplete` (a BaseException, so no judge's ``except Exception``
swallows it): the test then scores 0 with a note.
"""

from __future__ import annotations

import builtins
import json
import warnings
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from course.kernel.messages import GradingError
from course.kernel.codec import decode, encode
from course.kernel.calls import StudentCall, intercepting, run_call

__all__ = ["Labelled", "Plan", "Recording", "Replay", "ReportIncomplete", "RecordingNamespace",
           "ReplayNamespace"]


class ReportIncomplete(BaseException):
    """The report lacks a call or a name the judge needs (missing, garbled or forged)."""


class Labelled:
    """A reference function standing in for the student's function called ``label``."""

    def __init__(self, label: str, function: Callable[..., Any]):
        self.label, self.function = label, function
        self.__name__ = label

    def __call__(self, *args, **kwargs):
        return self.function(*args, **kwargs)


@dataclass
class Plan:
    """What the kernel must do for one test cell: ``calls`` (dicts, see
    :mod:`course.kernel.report`) and the answer variables ``names`` to report."""

    calls: list = field(default_factory=list)
    names: list = field(default_factory=list)
    _index: dict = field(default_factory=dict, repr=False)   # call key -> position in calls

    def add(self, call: dict) -> int:
        """The position of ``call`` in the plan, adding it when it is new."""
        key = _call_key(call["label"], call["args"], call["kwargs"])
        if key not in self._index:
            self._index[key] = len(self.calls)
            self.calls.append(call)
        return self._index[key]

    def key_index(self) -> dict[str, int]:
        return {_call_key(call["label"], call["args"], call["kwargs"]): i for i, call in enumerate(self.calls)}

    def as_dict(self, plan_id: str) -> dict:
        return {"id": plan_id, "calls": self.calls, "names": self.names}


def _call_key(label: str, args: list, kwargs: dict) -> str:
    return json.dumps([label, args, kwargs], sort_keys=True)


class _CallLog:
    """Encodes a judge's call arguments, referring to earlier results by identity."""

    def __init__(self):
        self.results: list[tuple[int, Any]] = []   # (call index, value the student's function returned)

    def _argument(self, value: Any) -> Any:
        for index, result in self.results:
            if value is result:
                return {"t": "ref", "call": index, "path": []}
            if isinstance(result, (tuple, list)):
                for position, item in enumerate(result):
                    if value is item and not isinstance(item, (int, float, bool, str, type(None))):
                        return {"t": "ref", "call": index, "path": [position]}
        return encode(value)

    def _encoded(self, args: tuple, kwargs: dict) -> tuple[list, dict]:
        return [self._argument(a) for a in args], {k: self._argument(v) for k, v in kwargs.items()}


class Recording(_CallLog):
    """Record mode: calls go to the reference functions and are added to ``plan``."""

    def __init__(self, plan: Plan):
        super().__init__()
        self.plan = plan

    def __call__(self, function, args, kwargs, *, what, time_limit, forbid_autodiff) -> StudentCall:
        label = getattr(function, "label", None)
        if label is None:   # not a student function: nothing to ask the kernel
            return run_call(function, *args, what=what, time_limit=time_limit, forbid_autodiff=forbid_autodiff,
                            **kwargs)
        encoded_args, encoded_kwargs = self._encoded(args, kwargs)
        # The reference itself needs no watch for autodiff and no time limit.
        call = run_call(function, *args, what=what, time_limit=None, **kwargs)
        index = self.plan.add({"label": label, "args": encoded_args, "kwargs": encoded_kwargs, "what": what,
                               "time_limit": time_limit, "forbid_autodiff": forbid_autodiff})
        self.results.append((index, call.value))
        return call


class RecordingNamespace(Mapping):
    """Record mode's namespace: right answers, and every name read goes into ``plan``."""

    def __init__(self, values: Mapping[str, Any], plan: Plan):
        self._values, self._plan = dict(values), plan

    def _note(self, key: str) -> None:
        if isinstance(key, str) and key != "In" and key not in self._plan.names:
            self._plan.names.append(key)

    def __getitem__(self, key):
        self._note(key)
        return self._values[key]

    def __contains__(self, key) -> bool:
        self._note(key)
        return key in self._values

    def get(self, key, default=None):
        self._note(key)
        return self._values.get(key, default)

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def _category(name: str, is_runtime: bool) -> type:
    if is_runtime:
        return RuntimeWarning
    found = getattr(builtins, str(name), None)
    return found if isinstance(found, type) and issubclass(found, Warning) else UserWarning


class Replay(_CallLog):
    """Replay mode: every call and name is answered from the kernel's ``report``."""

    def __init__(self, plan: Plan, report: dict):
        super().__init__()
        self.plan, self.report = plan, report
        self.index = plan.key_index()
        calls = report.get("calls")
        if not isinstance(calls, list) or len(calls) != len(plan.calls):
            raise ReportIncomplete("the report does not answer every call of the plan")

    def __call__(self, function, args, kwargs, *, what, time_limit, forbid_autodiff) -> StudentCall:
        label = getattr(function, "label", None)
        if label is None:
            return run_call(function, *args, what=what, time_limit=time_limit, forbid_autodiff=forbid_autodiff, **kwargs)
        encoded_args, encoded_kwargs = self._encoded(args, kwargs)
        index = self.index.get(_call_key(label, encoded_args, encoded_kwargs))
        if index is None:
            raise ReportIncomplete(f"the check needed {what}, which was not asked of the notebook")
        outcome = self.report["calls"][index]
        try:
            if "error" in outcome:
                misconception = outcome.get("misconception")
                raise GradingError(str(outcome["error"]), misconception if isinstance(misconception, str) else None)
            value = decode(outcome["ok"], label)
            raised = [warnings.WarningMessage(_category(name, bool(runtime))(str(message)),
                                              _category(name, bool(runtime)), "", 0)
                      for name, message, runtime in outcome.get("warnings", [])]
            stderr = str(outcome.get("stderr", ""))
        except GradingError:
            raise
        except Exception as error:  # noqa: BLE001 - a garbled report
            raise ReportIncomplete(f"the report of {what} could not be read ({type(error).__name__})") from None
        self.results.append((index, value))
        return StudentCall(value, raised, stderr)


class ReplayNamespace(Mapping):
    """Replay mode's namespace: the reported answer variables, and the names defined."""

    def __init__(self, plan: Plan, report: dict):
        self._plan = plan
        try:
            self._values = {key: decode(value, key) for key, value in dict(report.get("names", {})).items()}
            self._defined = {str(name) for name in report.get("globals", [])} | set(self._values)
            self._inputs = [str(source) for source in report.get("inputs", [])]
        except Exception as error:  # noqa: BLE001 - a garbled report
            raise ReportIncomplete(f"the report's variables could not be read ({type(error).__name__})") from None

    def __getitem__(self, key):
        if key == "In":
            return list(self._inputs)
        if key in self._values:
            return self._values[key]
        if key in self._plan.names or key not in self._defined:
            raise KeyError(key)   # a name the plan asked for that the notebook does not define
        raise ReportIncomplete(f"the check read {key!r}, which was not asked of the notebook")

    def __contains__(self, key) -> bool:
        return key == "In" or key in self._values or (key not in self._plan.names and key in self._defined)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def __iter__(self):
        return iter(sorted(self._defined))

    def __len__(self) -> int:
        return len(self._defined)


def run_judge(judge: Callable, args: list, kwargs: dict, handler: Callable) -> Any:
    """``judge(*args, **kwargs)`` with every student call handed to ``handler``."""
    with ExitStack() as stack:
        stack.enter_context(intercepting(handler))
        return judge(*args, **kwargs)
