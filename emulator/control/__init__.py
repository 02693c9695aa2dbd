"""The control plane: every route under ``/_emulator/`` and the OpenAPI document."""
