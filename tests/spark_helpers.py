"""One local Spark session for a test module (Spark's own settings for small test data)."""

from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def local_spark(**conf: str):
    """A ``local[2]`` session with ``conf`` set; stopped afterwards only if this call started it."""
    from notecheck.spark import session

    spark, started = session("local[2]")
    for key, value in conf.items():
        spark.conf.set(key, value)
    try:
        yield spark
    finally:
        if started:
            spark.stop()
