"""The result protocol, which lives with the student-side code: :mod:`course.kernel.result`.

Re-exported here so the grader's judges and tools keep importing ``course.checks.result``.
"""

from __future__ import annotations

from course.kernel.result import (NOT_ANSWERED_IDS, RESULT_METADATA, RESULT_MIME, Outcome, Result, display_bundle,
                             failed_result, grader_error, judgement, passed_result, report, reporting)

__all__ = ["Outcome", "NOT_ANSWERED_IDS", "Result", "RESULT_MIME", "RESULT_METADATA", "report", "reporting",
           "judgement", "grader_error", "passed_result", "failed_result", "display_bundle"]
