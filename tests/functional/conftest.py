"""The functional tier: heavy real parts run whole (the offline engine's OCR models on rendered photos,
gcloud checking deploy.sh's flags), with no emulator and no server: about two minutes of CPU on two
cores, so not in ./run check."""
