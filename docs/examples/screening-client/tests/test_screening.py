import pytest
from screening import Screening, ScreeningFailed

from emulator.testing import speech_wav

KEY = "clinic-a"
VOICE = speech_wav(35)  # >= 35 s of speech: Kintsugi needs 30 s of voice


@pytest.fixture
def emu(emulator_control):
    return emulator_control.with_api_key(KEY)


@pytest.fixture
def screening(emulator_server):
    client = Screening(emulator_server.base_url, KEY, poll_every=0.01)
    yield client
    client.close()


def test_a_forced_label_comes_back(emu, screening):
    emu.set_progression("kintsugi", "immediate")
    emu.force_outcome(user_id="patient-1", depression_severity="moderate_to_severe")

    result = screening.screen("patient-1", VOICE)

    assert result.depression == "moderate_to_severe"
    emu.assert_requested("POST", "/v2/prediction/", count=1)
    emu.assert_requested("GET", "/v2/predict/sessions/*", api_key=KEY)


def test_the_client_polls_until_the_result_is_released(emu, screening):
    emu.force_outcome(user_id="patient-2", hold=True)  # stays `processing`
    with pytest.raises(TimeoutError):
        screening.screen("patient-2", VOICE, polls=3)
    assert len(emu.requests(method="GET", path_prefix="/v2/predict/sessions/")) == 3

    (session,) = emu.kintsugi_sessions()
    assert session["status"] == "processing"
    assert emu.kintsugi_advance() == [session["session_id"]]


def test_a_recording_without_enough_voice_fails(emu, screening):
    emu.set_progression("kintsugi", "immediate")
    short = speech_wav(5)
    with pytest.raises(ScreeningFailed, match="insufficient_audio_length"):
        screening.screen("patient-3", short)


def test_an_outage_is_an_error_the_client_sees(emu, screening):
    emu.add_fault(action="throttle", path="/v2/initiate", status=503, retry_after=5)
    with pytest.raises(Exception, match="503"):
        screening.screen("patient-4", VOICE)
