"""On-machine OCR with rapidocr (PP-OCRv6 models shipped inside its wheel); loaded once per process.

Model paths are given explicitly, so a missing model fails at start-up instead of being fetched:
nothing is downloaded at run time.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from common.engines.local.layout import Box
from common.errors import ConfigError

MODELS = {"Det": "PP-OCRv6_det_small.onnx", "Rec": "PP-OCRv6_rec_small.onnx",
          "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx"}
MAX_SIDE = 2000      # OCR input bound: a 1500x2000 phone photo goes in at full size
DET_SIDE = 1280     # text detection input bound
MIN_SCORE = 0.5      # below this, a recognised string is too unsure to put on a menu


@dataclass
class Reading:
    boxes: list[Box]          # confident text
    weak: int                 # text regions found but not read with confidence (blur, glare)
    sharpness: float          # variance of the Laplacian on a 1000px grey copy; low means blurry


def model_dir() -> Path:
    try:
        import rapidocr
    except ImportError:
        raise ConfigError("the offline engine needs rapidocr and onnxruntime: "
                          "pip install -r common/engines/local/requirements.txt") from None
    return Path(rapidocr.__file__).parent / "models"


class Ocr:
    def __init__(self) -> None:
        import logging

        from rapidocr import RapidOCR

        root = model_dir()
        missing = [name for name in MODELS.values() if not (root / name).is_file()]
        if missing:
            raise ConfigError(f"rapidocr models missing from {root}: {', '.join(missing)}; "
                              "reinstall the pinned rapidocr from common/engines/local/requirements.txt")
        params = {f"{stage}.model_path": str(root / name) for stage, name in MODELS.items()}
        # Detection on a 1280px copy: the boxes are as good on menus (measured: bench/offline_engine.py)
        # at half the time and memory of full size; recognition still reads crops of the full photo.
        params.update({"Global.log_level": "error", "Global.text_score": 0.3, "Global.max_side_len": MAX_SIDE,
                       "Det.limit_type": "max", "Det.limit_side_len": DET_SIDE})
        self._engine = RapidOCR(params=params)
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)

    def read(self, jpeg: bytes) -> Reading:
        """Every text box in the photo, with a count of unsure ones and a sharpness figure."""
        import cv2
        import numpy as np

        img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        if img is None:
            return Reading([], 0, 0.0)
        grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        scale = 1000 / max(grey.shape)
        small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else grey
        sharpness = float(cv2.Laplacian(small, cv2.CV_64F).var())
        out = self._engine(img)
        if out.boxes is None or out.txts is None:
            return Reading([], 0, sharpness)
        boxes, weak = [], 0
        for quad, text, score in zip(out.boxes, out.txts, out.scores):
            if float(score) < MIN_SCORE or not str(text).strip():
                weak += 1
                continue
            boxes.append(Box(str(text), float(score), [(float(x), float(y)) for x, y in quad]))
        return Reading(boxes, weak, sharpness)
