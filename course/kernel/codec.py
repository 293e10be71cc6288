"""Values in a report: what a student's code gave, as JSON, and back again.

The grading kernel encodes every value a check needs (a function's return value, an
answer variable) with :func:`encode`; the grader rebuilds it with :func:`decode` and
judges the rebuilt value exactly as it would judge the original.  Encoded values are
plain JSON and exact:

- ``None``, ``bool``, ``int``, ``str`` (cut to :data:`MAX_TEXT` characters) as themselves;
- ``float`` as ``float.hex`` (exact, and ``inf``/``nan`` survive);
- NumPy scalars and numeric arrays with their dtype and shape (at most
  :data:`MAX_ELEMENTS` elements);
- anything else that NumPy turns into a numeric array (a TensorFlow tensor, a
  ``Decimal``) as that array, remembering the original type's name;
- tuples, lists and dicts item by item (at most :data:`MAX_ITEMS` items, nested at most
  :data:`MAX_DEPTH` deep);
- a function as a stand-in that is only callable (its calls are reported separately);
- any other object as an opaque stand-in that keeps its type's name, so feedback can
  still say "it is a set".

Only :func:`encode` runs in the kernel; :func:`decode` runs in the grader.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["encode", "decode", "Opaque", "CallableStandIn", "MAX_ELEMENTS", "MAX_ITEMS"]

MAX_ELEMENTS = 200_000     # elements of one array
MAX_ITEMS = 10_000         # items of one list, tuple or dict
MAX_DEPTH = 12
MAX_TEXT = 4_000
_NUMERIC_KINDS = "biuf"


def _float(value: float) -> str:
    return float(value).hex()


def _type_name(value: object) -> str:
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def _array(array: np.ndarray) -> dict:
    if array.size > MAX_ELEMENTS:
        return {"t": "object", "type": "numpy.ndarray", "name": "ndarray",
                "repr": f"an array of {array.size} elements (too large to report)"}
    if array.dtype.kind == "f":
        data = [_float(v) for v in array.astype(np.float64).ravel().tolist()]
    elif array.dtype.kind == "b":
        data = [bool(v) for v in array.ravel().tolist()]
    else:
        data = [int(v) for v in array.ravel().tolist()]
    return {"t": "ndarray", "dtype": array.dtype.str, "shape": list(array.shape), "data": data}


def encode(value: object, _depth: int = 0) -> dict:
    """``value`` as JSON (see the module doc); never raises, never runs for long."""
    try:
        return _encode(value, _depth)
    except Exception as error:  # noqa: BLE001 - an odd object is reported as odd
        return {"t": "object", "type": _type_name(value), "name": type(value).__name__,
                "repr": f"(could not be read: {type(error).__name__})"}


def _encode(value: object, depth: int) -> dict:
    if depth > MAX_DEPTH:
        return {"t": "object", "type": _type_name(value), "name": type(value).__name__, "repr": "(nested too deep)"}
    kind = type(value)
    if value is None:
        return {"t": "none"}
    if kind is bool:
        return {"t": "bool", "v": value}
    if kind is int:
        return {"t": "int", "v": value} if abs(value) < 2 ** 1000 else {"t": "float", "v": _float(math.copysign(math.inf, value))}
    if kind is float:
        return {"t": "float", "v": _float(value)}
    if kind is str:
        return {"t": "str", "v": value[:MAX_TEXT]}
    if kind is np.ndarray and value.dtype.kind in _NUMERIC_KINDS:
        return _array(value)
    if isinstance(value, np.generic) and kind is type(value) and np.dtype(kind).kind in _NUMERIC_KINDS:
        return {"t": "npscalar", "value": _array(np.asarray(value))}
    if kind in (tuple, list):
        items = [_encode(item, depth + 1) for item in list(value)[:MAX_ITEMS]]
        return {"t": kind.__name__, "items": items, "more": max(0, len(value) - MAX_ITEMS)}
    if kind is dict:
        pairs = list(value.items())[:MAX_ITEMS]
        return {"t": "dict", "items": [[_encode(k, depth + 1), _encode(v, depth + 1)] for k, v in pairs]}
    if callable(value) and not hasattr(value, "__array__"):
        return {"t": "callable", "name": getattr(value, "__name__", type(value).__name__)}
    if not isinstance(value, (str, bytes, set, frozenset, dict)):
        array = None
        for dtype in (None, np.float64):   # a Decimal or Fraction is a number only as float64
            try:
                array = np.asarray(value, dtype=dtype)
            except Exception:  # noqa: BLE001 - not array-like
                continue
            if array.dtype.kind in _NUMERIC_KINDS:
                break
        if array is not None and array.dtype.kind in _NUMERIC_KINDS:
            return {"t": "arraylike", "type": _type_name(value), "name": kind.__name__, "value": _array(array)}
    text = repr(value) if kind.__repr__ is object.__repr__ else f"<{kind.__name__}>"
    return {"t": "object", "type": _type_name(value), "name": kind.__name__, "repr": text[:200]}


# --- the grader's side ------------------------------------------------------------------

class Opaque:
    """An object the report could only name; its class carries the original type's name."""

    def __init__(self, description: str):
        self.description = description

    def __repr__(self) -> str:
        return self.description


class CallableStandIn:
    """A reported function: callable, and named, but its calls are answered by the report."""

    def __init__(self, label: str):
        self.__name__ = label
        self.label = label

    def __call__(self, *args, **kwargs):
        raise RuntimeError(f"{self.label} was reported as a function; its calls come from the report")


_OPAQUE_CLASSES: dict[str, type] = {}


def _opaque(name: str, description: str) -> Opaque:
    cls = _OPAQUE_CLASSES.get(name)
    if cls is None:
        cls = _OPAQUE_CLASSES[name] = type(str(name) or "object", (Opaque,), {})
    return cls(description)


def _decode_array(data: dict) -> np.ndarray:
    dtype = np.dtype(data["dtype"])
    values = data["data"]
    if dtype.kind == "f":
        values = [float.fromhex(v) for v in values]
    return np.array(values, dtype=dtype).reshape(data["shape"])


def decode(data: dict, label: str | None = None) -> object:
    """The value :func:`encode` described; ValueError for anything that is not such a description.

    A reported function becomes a :class:`CallableStandIn` named ``label`` (the name it
    was found under), else by the function's own name.
    """
    if not isinstance(data, dict):
        raise ValueError("not an encoded value")
    tag = data.get("t")
    if tag == "none":
        return None
    if tag in ("bool", "int", "str"):
        value = data["v"]
        expected = {"bool": bool, "int": int, "str": str}[tag]
        if type(value) is not expected:
            raise ValueError(f"bad {tag}")
        return value
    if tag == "float":
        return float.fromhex(data["v"])
    if tag == "ndarray":
        return _decode_array(data)
    if tag == "npscalar":
        return _decode_array(data["value"])[()]
    if tag == "arraylike":
        return _decode_array(data["value"])
    if tag in ("tuple", "list"):
        items = [decode(item) for item in data["items"]]
        return tuple(items) if tag == "tuple" else items
    if tag == "dict":
        return {_hashable(decode(k)): decode(v) for k, v in data["items"]}
    if tag == "callable":
        return CallableStandIn(label or str(data.get("name", "function")))
    if tag == "object":
        return _opaque(str(data.get("name", "object")), str(data.get("repr", "")))
    raise ValueError(f"unknown tag {tag!r}")


def _hashable(key: object) -> object:
    if isinstance(key, list):
        return tuple(_hashable(k) for k in key)
    if isinstance(key, np.ndarray):
        return key.item() if key.size == 1 else tuple(key.ravel().tolist())
    return key
