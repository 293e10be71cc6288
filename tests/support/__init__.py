"""Helpers of the tests (no tests here): the in-process grader, the notebook corpora, answer sets, servers."""
