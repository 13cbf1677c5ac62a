"""Current models, chosen per family, against a fake that refuses what Google refuses: the model
list and models.get, NOT_FOUND for retired names (and the fallback taking over at once), 400s for
parameters a family rejects, thinking counted against the output cap, usage reported, and deploy's
check of every configured model."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from google.genai import errors, types

from tests.gemini_local import call, photo

ROOT = Path(__file__).resolve().parents[2]


# -- the fake answers as the API does ---------------------------------------------------------------
def test_the_model_list_and_models_get_name_the_current_models_and_not_the_retired_ones(gemini):
    client = gemini.client()
    listed = {m.name.removeprefix("models/") for m in client.models.list(config={"page_size": 5})}
    assert {"gemini-3.6-flash", "gemini-3.5-flash-lite", "gemini-3.1-flash-image",
            "gemini-3.1-flash-lite-image"} <= listed
    assert not {"gemini-2.5-flash", "gemini-2.5-flash-image"} & listed
    got = client.models.get(model="gemini-3.6-flash")
    assert got.output_token_limit == 65_536 and got.thinking is True
    for retired in ("gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-flash-image", "gemini-9-imaginary"):
        with pytest.raises(errors.ClientError) as exc:
            client.models.get(model=retired)
        assert exc.value.code == 404 and exc.value.status == "NOT_FOUND"


def test_a_retired_or_unknown_model_answers_generate_content_with_not_found(gemini):
    with pytest.raises(errors.ClientError) as exc:
        gemini.client().models.generate_content(model="gemini-2.5-flash", contents="hi")
    assert exc.value.code == 404 and "is not found for API version" in exc.value.message


@pytest.mark.parametrize("model, config, why", [
    ("gemini-3.6-flash", {"thinking_config": {"thinking_level": "LOW", "thinking_budget": 512}}, "both be set"),
    ("gemini-3.8-flash", {"thinking_config": {"thinking_level": "MINIMAL"}}, "MINIMAL is not supported"),
    ("gemini-3.6-flash", {"max_output_tokens": 70_000}, "out of range"),
    ("gemini-3.6-flash", {"presence_penalty": 0.5}, "penalties"),
    ("gemini-3.6-flash", {"response_modalities": ["IMAGE"]}, "response modalities"),
    ("gemini-3.1-flash-lite-image", {"response_modalities": ["IMAGE"], "image_config": {"image_size": "4K"}},
     "Image size 4K"),
])
def test_parameters_the_models_family_rejects_are_answered_invalid_argument(gemini, model, config, why):
    with pytest.raises(errors.ClientError) as exc:
        gemini.client().models.generate_content(model=model, contents="hi", config=config)
    assert exc.value.code == 400 and exc.value.status == "INVALID_ARGUMENT" and why in exc.value.message


def test_a_request_ending_on_a_model_turn_is_refused_by_gemini_3(gemini):
    contents = [types.Content(role="user", parts=[types.Part(text="read the menu")]),
                types.Content(role="model", parts=[types.Part(text='{"items": [')])]
    with pytest.raises(errors.ClientError) as exc:
        gemini.client().models.generate_content(model="gemini-3.6-flash", contents=contents)
    assert exc.value.code == 400 and "role 'model'" in exc.value.message


def test_thinking_counts_against_the_output_cap_and_the_answer_is_cut_there_with_max_tokens(gemini):
    gemini.control("stream", {"thinking": {"HIGH": 1500}})
    config = {"max_output_tokens": 1600, "thinking_config": {"thinking_level": "HIGH"},
              "response_mime_type": "application/json"}
    resp = gemini.client().models.generate_content(
        model="gemini-3.6-flash", contents=[types.Part.from_bytes(data=photo(), mime_type="image/jpeg"),
                                            "You read a photo of a restaurant menu for a diner who reads en.\n"],
        config=config)
    assert resp.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS
    meta = resp.usage_metadata
    assert meta.thoughts_token_count == 1500 and 0 < meta.candidates_token_count <= 100
    assert meta.prompt_token_count >= 1120  # the photo at high media resolution


# -- the service's parameters, per family -----------------------------------------------------------
@pytest.mark.parametrize("model", ["gemini-3.8-flash", "gemini-3.7-flash", "gemini-3.6-flash", "gemini-3.5-flash",
                                   "gemini-3.5-flash-lite", "gemini-3.1-flash-lite"])
def test_every_text_family_in_the_table_sends_only_what_its_model_accepts(gemini, model):
    from common.engines import models
    from common.engines.menu_prompt import Menu

    config = models.text_config(model, 65_536, schema=Menu)
    resp = gemini.client().models.generate_content(model=model, contents=["hi"], config=config)
    assert resp.usage_metadata.prompt_token_count > 0
    sent = gemini.requests()[-1]
    fam = models.family(model)
    assert ("thinkingLevel" in (sent["thinking"] or {})) == (fam.thinking == "level")
    assert ("thinkingBudget" in (sent["thinking"] or {})) == (fam.thinking == "budget")
    # Gemini 3: Google's default temperature (lower can loop); 2.5: the one this service used.
    assert sent["temperature"] == (None if model.startswith("gemini-3") else 0.2)


@pytest.mark.parametrize("model", ["gemini-3.1-flash-image", "gemini-3.1-flash-lite-image", "gemini-3-pro-image"])
def test_every_image_family_in_the_table_sends_only_what_its_model_accepts(gemini, model):
    from common.engines import models

    resp = gemini.client().models.generate_content(model=model, contents=["a dish"],
                                                   config=models.image_config(model))
    assert resp.candidates[0].content.parts[0].inline_data.data
    sent = gemini.requests()[-1]["image_config"]
    assert sent["aspectRatio"] == "4:3" and sent.get("imageSize") in ("1K", None)


def test_the_default_models_are_served_and_none_is_retired(gemini):
    from common.core.sections import ModelSettings
    from common.engines import model_check
    from devstack.gemini_models import CATALOG, RETIRED

    defaults = model_check.configured(ModelSettings())
    assert len(defaults) == 4 and not set(defaults.values()) & set(RETIRED)
    assert set(defaults.values()) <= set(CATALOG)
    assert defaults["GEMINI_MENU_MODEL"] != defaults["GEMINI_MENU_FALLBACK_MODEL"]


def test_the_menu_call_asks_for_low_thinking_high_media_resolution_and_leaves_temperature_alone(gemini):
    gemini.engine().read_menu(photo(), "en", call())
    sent = gemini.requests("menu")[0]
    assert sent["model"] == "gemini-3.6-flash" and sent["thinking"] == {"thinkingLevel": "LOW"}
    assert sent["temperature"] is None and sent["media_resolution"] == "MEDIA_RESOLUTION_HIGH"
    assert sent["max_output_tokens"] == 32_768


# -- a retired model falls back at once and says so ---------------------------------------------------
def _records(caplog, message: str) -> list[dict]:
    return [r.fields for r in caplog.records if r.getMessage() == message]


def test_a_retired_menu_model_falls_back_at_once_without_retries_and_logs_the_alerted_line(gemini, caplog):
    engine = gemini.engine(gemini_menu_model="gemini-2.5-flash")
    c = call()
    with caplog.at_level(logging.INFO):
        reading = engine.read_menu(photo(), "en", c)
    assert len(reading.items) == 6 and c.used_fallback is True
    assert [r["model"] for r in gemini.requests("menu")] == ["gemini-2.5-flash", "gemini-3.5-flash-lite"]
    [line] = _records(caplog, "model retired or unknown; falling back")
    assert line["model"] == "gemini-2.5-flash" and line["fallback"] == "gemini-3.5-flash-lite" and line["call"] == "menu"
    # The next job goes straight to the fallback (still said, for the alert), not to the retired name.
    engine.read_menu(photo(), "en", call())
    assert [r["model"] for r in gemini.requests("menu")][2:] == ["gemini-3.5-flash-lite"]
    assert len(_records(caplog, "model retired or unknown; falling back")) == 2


def test_a_retired_model_with_no_fallback_fails_with_a_message_naming_it(gemini):
    from common.core.errors import ScanError

    engine = gemini.engine(gemini_menu_model="gemini-2.5-pro", gemini_menu_fallback_model="")
    with pytest.raises(ScanError) as exc:
        engine.read_menu(photo(), "en", call())
    assert exc.value.code == "VLM_FAILED" and "gemini-2.5-pro" in exc.value.message
    assert len(gemini.requests("menu")) == 1


def test_a_retired_image_model_falls_back_to_the_image_fallback_at_once(gemini):
    from common.menu.items import MenuItem

    engine = gemini.engine(gemini_image_model="gemini-2.5-flash-image")
    c = call()
    data = engine.draw_dish(MenuItem(id="item-1", original_name="唐揚げ", translated_name="Fried chicken"), "en", c)
    assert data and c.used_fallback
    assert [r["model"] for r in gemini.requests("image")] == ["gemini-2.5-flash-image", "gemini-3.1-flash-lite-image"]


def test_an_answer_from_another_model_than_the_one_asked_is_logged_for_the_alert(gemini, caplog):
    gemini.script("menu", {"model_version": "gemini-3.5-flash-lite"})  # a retired name Google routes elsewhere
    with caplog.at_level(logging.INFO):
        gemini.engine().read_menu(photo(), "en", call())
    [line] = _records(caplog, "model answered as another model")
    assert line["model"] == "gemini-3.6-flash" and line["answered_by"] == "gemini-3.5-flash-lite"


# -- deploy's check ------------------------------------------------------------------------------------
def _model_check(gemini, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GEMINI_")}
    return subprocess.run([sys.executable, "-m", "common.engines.model_check"], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, env={**clean, "PYTHONPATH": str(ROOT), "GEMINI_API_KEY": "k",
                                                     "GEMINI_BASE_URL": gemini.url, **env})


def test_deploys_model_check_passes_the_defaults_and_stops_on_a_retired_model(gemini):
    ok = _model_check(gemini)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "GEMINI_MENU_MODEL=gemini-3.6-flash: served" in ok.stdout
    bad = _model_check(gemini, GEMINI_IMAGE_MODEL="gemini-2.5-flash-image")
    assert bad.returncode == 1
    assert "GEMINI_IMAGE_MODEL=gemini-2.5-flash-image: NOT SERVED (404 NOT_FOUND" in bad.stdout


def test_the_retired_model_metric_counts_these_lines_by_call_and_model(gemini, caplog):
    import json

    from tests.support import extract_label, log_filter_matches, log_metrics

    with caplog.at_level(logging.INFO):
        gemini.engine(gemini_menu_model="gemini-2.5-flash").read_menu(photo(), "en", call())
    metric = log_metrics()["scan_model_retired"]
    entries = [json.loads(json.dumps({"message": r.getMessage(), **r.fields}, default=str)) for r in caplog.records
               if hasattr(r, "fields")]
    points = [{k: extract_label(x, e) for k, x in metric["labelExtractors"].items()}
              for e in entries if log_filter_matches(metric["filter"], e)]
    assert points == [{"call": "menu", "model": "gemini-2.5-flash"}]
