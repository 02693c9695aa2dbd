import pytest

from emulator.settings import Settings


@pytest.fixture
def emulator_settings() -> Settings:
    # Dotted names, as on the command line (--set kintsugi.progression=manual).
    return Settings().with_dotted({"kintsugi.progression": "manual"})
