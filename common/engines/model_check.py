"""deploy.sh's check, before anything is deployed: every configured Gemini model exists for the
deployment's key (models.get), so a retired or misspelt name is caught at the desk, not by users.

    GEMINI_API_KEY=... python -m common.engines.model_check          # 0: all served; 1: one is not
    python -m common.engines.model_check --list                       # the names only, offline (dry run)
"""
from __future__ import annotations

import sys

from common.core.sections import ModelSettings

ROLES = ("gemini_menu_model", "gemini_menu_fallback_model", "gemini_image_model", "gemini_image_fallback_model")


def configured(settings: ModelSettings) -> dict[str, str]:
    """Each role's model (the environment's, else the default); an empty fallback is none."""
    return {role.upper(): getattr(settings, role) for role in ROLES if getattr(settings, role)}


def check(settings: ModelSettings) -> dict[str, str | None]:
    """{model: None when models.get answers, else why not} for every configured model."""
    from google import genai
    from google.genai import errors, types

    options = types.HttpOptions(timeout=20_000, base_url=settings.gemini_base_url or None)
    client = genai.Client(api_key=settings.gemini_api_key.get_secret_value(), http_options=options)
    out: dict[str, str | None] = {}
    for model in dict.fromkeys(configured(settings).values()):
        try:
            client.models.get(model=model)
            out[model] = None
        except errors.APIError as exc:
            out[model] = f"{exc.code} {exc.status}: {(exc.message or '')[:200]}"
    return out


def main(argv: list[str]) -> int:
    from common.engines import models

    from common.core.settings import Settings

    settings = Settings.from_env().models
    names = configured(settings)
    if "--list" in argv:
        for role, model in names.items():
            print(f"{role}={model} (parameters: {models.family(model).name})")
        return 0
    if not settings.gemini_api_key:
        print("model_check: set GEMINI_API_KEY (the deployment's key)", file=sys.stderr)
        return 2
    problems = check(settings)
    for role, model in names.items():
        why = problems.get(model)
        print(f"{role}={model}: {'served' if why is None else 'NOT SERVED (' + why + ')'}")
    return 1 if any(problems.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
