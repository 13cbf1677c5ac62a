"""The functional tier: heavy real parts run whole (the offline engine's OCR models on rendered photos,
gcloud checking deploy.sh's flags), with no emulator and no server: about two minutes of CPU on two
cores, so not in ./run check."""

# The in-process fake Gemini (fixture `gemini`): the real google-genai SDK against the Gemini REST API
# it speaks, on loopback, in this process.
pytest_plugins = ["tests.gemini_local"]
