"""Keep libraries underneath from writing note text to stderr.

medspaCy's PyRuSH logs every token at DEBUG through loguru, and loguru's default handler writes to
stderr. notecheck never uses PyRuSH, and it removes loguru's default handler so that no library can print
note text through it, whatever the verbosity the user asks of notecheck: at import when loguru is imported
already, else when medspaCy's package is first used (``lazy``: notecheck itself imports neither).
"""

from __future__ import annotations

import logging
import sys
import warnings


def silence_libraries() -> None:
    if "loguru" in sys.modules:  # loguru comes with medspaCy's components; before them there is nothing to silence
        from loguru import logger

        logger.remove()
        logger.disable("PyRuSH")
        logger.disable("medspacy")
    # py4j logs every command it sends to the JVM at DEBUG, the gateway's secret among them (spark-scan -vv)
    for name in ("PyRuSH", "medspacy", "spacy", "py4j"):
        logging.getLogger(name).setLevel(logging.ERROR)
    # spaCy/medspaCy warnings can quote spans; notecheck reports problems through its own records.
    warnings.filterwarnings("ignore", module=r"(spacy|medspacy|PyRuSH)(\..*)?")


silence_libraries()
