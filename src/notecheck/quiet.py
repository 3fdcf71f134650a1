"""Keep libraries underneath from writing note text to stderr.

medspaCy's PyRuSH logs every token at DEBUG through loguru, and loguru's default handler writes to
stderr. notecheck never uses PyRuSH, and it removes loguru's default handler at import so that no
library can print note text through it, whatever the verbosity the user asks of notecheck.
"""

from __future__ import annotations

import logging
import warnings


def silence_libraries() -> None:
    try:
        from loguru import logger
    except ImportError:  # loguru comes with medspaCy; without it there is nothing to silence
        pass
    else:
        logger.remove()
        logger.disable("PyRuSH")
        logger.disable("medspacy")
    # py4j logs every command it sends to the JVM at DEBUG, the gateway's secret among them (spark-scan -vv)
    for name in ("PyRuSH", "medspacy", "spacy", "py4j"):
        logging.getLogger(name).setLevel(logging.ERROR)
    # spaCy/medspaCy warnings can quote spans; notecheck reports problems through its own records.
    warnings.filterwarnings("ignore", module=r"(spacy|medspacy|PyRuSH)(\..*)?")


silence_libraries()
