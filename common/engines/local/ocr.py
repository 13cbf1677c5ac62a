"""On-machine OCR with rapidocr (PP-OCRv6 models shipped inside its wheel); loaded once per process.

Model paths are given explicitly, so a missing model fails at start-up instead of being fetched:
nothing is downloaded at run time.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.engines.local.layout import Box
from common.core.errors import ConfigError

MODELS = {"Det": "PP-OCRv6_det_small.onnx", "Rec": "PP-OCRv6_rec_small.onnx",
          "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx"}
MAX_SIDE = 2000      # OCR input bound: a 1500x2000 phone photo goes in at full size
DET_SIDE = 1280     # text detection input bound
MIN_SCORE = 0.5      # below this, a recognised string is too unsure to put on a menu
# Recognition pads every crop in a batch to at least this many pixels wide (at 48 high). rapidocr's
# default, 320, pads a short crop such as "$12" to four times its width, which costs time and, on
# these models, characters: padded short Chinese names slip to Simplified (measured: docs/local-engine.md).
REC_WIDTH = 96
REC_BATCH = 6      # crops recognised in one run (rapidocr's default)


@dataclass
class Reading:
    boxes: list[Box]          # confident text
    weak: int                 # text regions found but not read with confidence (blur, glare)
    sharpness: float          # variance of the Laplacian on a 1000px grey copy; low means blurry
    image: Any = None         # the decoded photo (BGR), for re-reading a box against other spellings


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
                       "Det.limit_type": "max", "Det.limit_side_len": DET_SIDE,
                       "Rec.rec_img_shape": [3, 48, REC_WIDTH], "Rec.rec_batch_num": REC_BATCH})
        self._engine = RapidOCR(params=params)
        self._index: dict[str, int] | None = None  # the recogniser's characters, for reread()
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
            return Reading([], 0, sharpness, img)
        boxes, weak = [], 0
        for quad, text, score in zip(out.boxes, out.txts, out.scores):
            if float(score) < MIN_SCORE or not str(text).strip():
                weak += 1
                continue
            boxes.append(Box(str(text), float(score), [(float(x), float(y)) for x, y in quad]))
        return Reading(boxes, weak, sharpness, img)

    def reread(self, image, boxes: list[Box]) -> list["Frames | None"]:
        """Each box's crop recognised again, as the recogniser's frames (None for an empty crop): what
        re-reading scores other spellings against (`lexicon`)."""
        import numpy as np
        from rapidocr.utils.process_img import get_rotate_crop_image

        rec = self._engine._load_rec_model()
        if self._index is None:
            self._index = {c: i for i, c in enumerate(rec.postprocess_op.character)}
        out: list[Frames | None] = [None] * len(boxes)
        crops = [(n, get_rotate_crop_image(image, np.array(box.points, dtype=np.float32))) for n, box in enumerate(boxes)]
        crops = sorted(((n, c) for n, c in crops if c.shape[0] and c.shape[1]), key=lambda nc: nc[1].shape[1] / nc[1].shape[0])
        # In batches of similar width, as rapidocr reads: one crop a run costs about twice as much.
        for at in range(0, len(crops), REC_BATCH):
            batch = crops[at:at + REC_BATCH]
            ratio = max([REC_WIDTH / 48] + [c.shape[1] / c.shape[0] for _, c in batch])
            probs = rec.session(np.stack([rec.resize_norm_img(c, ratio) for _, c in batch]).astype(np.float32))
            for (n, _), frames in zip(batch, probs):
                out[n] = Frames(frames, self._index, rec.postprocess_op.character)
        return out


class Frames:
    """One crop as the recogniser saw it: a distribution over its characters (0: blank) per frame."""

    def __init__(self, probs, index: dict[str, int], characters) -> None:
        self.probs, self._index, self._characters = probs, index, characters

    def likelihood(self, text: str) -> float:
        """log P(text | frames); -inf for a text the model cannot write."""
        return _ctc_log_likelihood(self.probs, [self._index.get(c) for c in text])

    def nearly(self, text: str, wanted: set[int], count: int = 24) -> dict[int, list[str]]:
        """For each `wanted` position of `text` (the box as OCR read it) whose glyph the frames read too,
        even as another glyph: the `count` characters likeliest there besides it, likeliest first."""
        import unicodedata

        import numpy as np
        from rapidfuzz.distance import Levenshtein

        best = self.probs.argmax(axis=1)
        runs: list[tuple[str, int, int]] = []  # (character, first frame, last frame) of each emission
        for t, k in enumerate(best):
            if k and t and best[t - 1] == k:
                runs[-1] = (runs[-1][0], runs[-1][1], t)
            elif k:
                runs.append((unicodedata.normalize("NFKC", self._characters[k])[:1], t, t))
        # Aligned without spaces (OCR's text lost those between CJK glyphs, these frames may keep them):
        # this reading and OCR's may differ by a glyph, and a glyph read as another still counts.
        runs = [r for r in runs if not r[0].isspace()]
        glyphs = [p for p, c in enumerate(text) if not c.isspace()]
        out = {}
        for op in Levenshtein.opcodes("".join(text[p] for p in glyphs), "".join(c for c, _, _ in runs)):
            if op.tag not in ("equal", "replace") or op.src_end - op.src_start != op.dest_end - op.dest_start:
                continue
            for g, r in zip(range(op.src_start, op.src_end), range(op.dest_start, op.dest_end)):
                if glyphs[g] not in wanted:
                    continue
                # its frames and those up to its neighbours' (a runner-up peaks a frame before or after)
                start = runs[r - 1][2] + 1 if r else 0
                end = runs[r + 1][1] if r + 1 < len(runs) else len(self.probs)
                window = self.probs[start:end].max(axis=0)
                window[0] = 0.0
                top = np.argpartition(-window, min(count + 1, len(window) - 1))[:count + 2]
                top = top[np.argsort(-window[top])]
                out[glyphs[g]] = [c for c in (self._characters[k] for k in top if k)
                                  if c != text[glyphs[g]] and not c.isspace()][:count]
        return out


def _ctc_log_likelihood(probs, labels: list) -> float:
    """log P(labels | frames) by the CTC forward algorithm; blank is class 0."""
    import numpy as np

    if not labels or any(lab is None for lab in labels):
        return -math.inf
    ext = [0]
    for lab in labels:
        ext += [lab, 0]
    size = len(ext)
    logp = np.log(np.maximum(probs[:, ext], 1e-30))
    # A label may be reached from two back (skipping the blank between) unless it repeats the one there.
    can_skip = np.array([s >= 2 and ext[s] != 0 and ext[s] != ext[s - 2] for s in range(size)])
    alpha = np.full(size, -np.inf)
    alpha[0], alpha[1] = logp[0, 0], logp[0, 1]
    for t in range(1, probs.shape[0]):
        step = alpha.copy()
        step[1:] = np.logaddexp(step[1:], alpha[:-1])
        step[2:] = np.where(can_skip[2:], np.logaddexp(step[2:], alpha[:-2]), step[2:])
        alpha = step + logp[t]
    return float(np.logaddexp(alpha[-1], alpha[-2]))
