"""The reliability suite (issue 8): load, oversized and stalled bodies, malformed input.

Every test talks to a real ``vendor-emulator serve`` process over loopback and is
marked ``reliability``; run it with ``pytest -m reliability tests/reliability``.
"""
