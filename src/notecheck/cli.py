"""The command line: parse options, call the library, render, pick the exit code.

Exit codes: 0 every note complete; 1 some note incomplete, without a code, flagged or unreadable;
2 usage or rule-file error.
"""

from __future__ import annotations

import logging
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from . import quiet  # noqa: F401
from .errors import NotecheckError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Check procedure notes for the documentation each billed code needs.")
log = logging.getLogger("notecheck")


class Format(str, Enum):
    table = "table"
    jsonl = "jsonl"
    json = "json"
    csv = "csv"
    html = "html"


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="notecheck: %(message)s", stream=sys.stderr)
    quiet.silence_libraries()  # stays silent at every verbosity: libraries below may log note text


def _fail(exc: NotecheckError) -> None:
    typer.echo(f"notecheck: error {exc}", err=True)
    raise typer.Exit(2)


@app.command()
def scan(
    paths: list[str] = typer.Argument(..., help="Files, folders, exports (CSV/TSV/JSONL/Parquet, .gz too), or - for JSONL on stdin."),
    fmt: Optional[Format] = typer.Option(None, "--format", "-f", help="Output format (default: table on a terminal, else jsonl)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report here instead of stdout."),
    code: Optional[str] = typer.Option(None, "--code", help="Billed codes for notes that have none, e.g. '64640-LT x2'."),
    id_col: Optional[str] = typer.Option(None, "--id-col", help="Export column with the note id."),
    text_col: Optional[str] = typer.Option(None, "--text-col", help="Export column with the note text."),
    code_col: Optional[str] = typer.Option(None, "--code-col", help="Export column with the billed codes."),
    date_col: Optional[str] = typer.Option(None, "--date-col", help="Export column with the date of service."),
    patient_col: Optional[str] = typer.Option(None, "--patient-col", help="Export column with the patient (checks across a patient's notes; detected: patient_id, mrn, patient ...)."),
    profile: Optional[str] = typer.Option(None, "--profile", help="Payer profile in patterns/profiles/ (strict, cpt, medicare ...; default strict)."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="Worker processes (default: all cores)."),
    resume: Optional[Path] = typer.Option(None, "--resume", help="Append to this JSONL output, skipping notes already in it."),
    no_text: bool = typer.Option(False, "--no-text", help="Leave note text out of the report (offsets and values only)."),
    max_note_bytes: int = typer.Option(1_000_000, "--max-note-bytes", min=1, help="Larger notes are error records."),
    rules: Optional[Path] = typer.Option(None, "--rules", help="A rule pack folder to use instead of the shipped one."),
    edits: Optional[Path] = typer.Option(None, "--edits", envvar="NOTECHECK_EDITS", help="Folder with CMS's MUE and NCCI PTP tables (CSV/tab text): adds mue_exceeded and ptp_conflict flags."),
    quiet_: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More log lines (never note text)."),
) -> None:
    """Check every note and report what each billed code is missing."""
    from .check import Checker
    from .claims import parse_claims
    from .renderers import RENDERERS
    from .scan import default_jobs, resume_done, resume_records, scan as run_scan

    _setup_logging(verbose)
    if resume is not None:
        if output is not None and output != resume:
            raise typer.BadParameter("--resume names the output file; leave out -o or give the same file.")
        output, fmt = resume, fmt or Format.jsonl
        if fmt != Format.jsonl:
            raise typer.BadParameter("--resume works with --format jsonl only.")
    if fmt is None:
        fmt = Format.table if output is None and sys.stdout.isatty() else Format.jsonl
    if fmt.value not in RENDERERS:
        raise typer.BadParameter(f"format {fmt.value} is not available in this installation.")
    try:
        if code:
            parse_claims(code)
        checker = Checker(rules, keep_text=(fmt == Format.html and not no_text), edits_dir=edits, profile=profile)
        done = resume_done(resume) if resume is not None else set()
    except NotecheckError as exc:
        _fail(exc)
    stream = open(output, "a" if resume else "w", encoding="utf-8", newline="") if output else sys.stdout
    renderer = RENDERERS[fmt.value](stream, include_text=not no_text)
    progress = _progress(quiet_)
    try:
        with progress as bar:
            task = bar.add_task("checking", total=None) if bar else None
            summary = run_scan(
                paths, renderer, checker=checker, jobs=jobs or default_jobs(), done=done,
                prior=resume_records(resume) if resume is not None else (), patient_col=patient_col,
                on_result=(lambda _r: bar.advance(task)) if bar else None,
                id_col=id_col, text_col=text_col, code_col=code_col, date_col=date_col,
                default_code=code, max_note_bytes=max_note_bytes,
            )
    except NotecheckError as exc:
        _fail(exc)
    finally:
        if output:
            stream.close()
    log.info("rules %s", checker.rules.version)
    if not quiet_:
        typer.echo(summary.line(), err=True)
    raise typer.Exit(0 if summary.all_complete else 1)


def _progress(quiet_: bool):
    """A progress bar with notes/s on stderr when it is a terminal; a no-op context otherwise."""
    import contextlib

    if quiet_ or not sys.stderr.isatty():
        return contextlib.nullcontext(None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.speed:.0f} notes/s"), TimeElapsedColumn(),
                    console=Console(stderr=True), transient=True)


@app.command()
def codes(rules: Optional[Path] = typer.Option(None, "--rules", help="Rule pack folder.")) -> None:
    """List the supported codes."""
    from .rules import load_rules

    try:
        pack = load_rules(rules)
    except NotecheckError as exc:
        _fail(exc)
    for code, versions in pack.codes.items():
        rule = versions[-1]
        typer.echo(f"{code}{' (add-on)' if rule.addon else ''}  {rule.title}")


@app.command()
def explain(
    code: str = typer.Argument(..., help="A CPT code, e.g. 64640."),
    rules: Optional[Path] = typer.Option(None, "--rules", help="Rule pack folder."),
    profile: Optional[str] = typer.Option(None, "--profile", help="Payer profile: what it asks for this code."),
) -> None:
    """Show a code's required elements and what satisfies each."""
    from .explain import explain_code

    try:
        typer.echo(explain_code(code, rules, profile))
    except NotecheckError as exc:
        _fail(exc)


@app.command("eval")
def eval_cmd(
    gold: Path = typer.Argument(..., help="A gold JSONL file or a folder of them."),
    fmt: str = typer.Option("text", "--format", "-f", help="text or json."),
    realnotes: Optional[Path] = typer.Option(None, "--realnotes", help="Folder of the real notes that gold lines refer to."),
    rules: Optional[Path] = typer.Option(None, "--rules", help="Rule pack folder."),
) -> None:
    """Measure extraction against a gold corpus: P/R/F1 per element and every miss."""
    from .evaluate import evaluate, render_json, render_text

    try:
        report = evaluate(gold, rules_dir=rules, realnotes=realnotes)
    except NotecheckError as exc:
        _fail(exc)
    typer.echo(render_json(report) if fmt == "json" else render_text(report))


@app.command("spark-scan")
def spark_scan(
    path: str = typer.Argument(..., help="A Parquet file, or a folder of Parquet files (any path Spark reads)."),
    output: str = typer.Option(..., "--output", "-o", help="Parquet output folder, one row per note."),
    master: Optional[str] = typer.Option(None, "--master", help="Spark master (default: spark-submit's, else local[*])."),
    code: Optional[str] = typer.Option(None, "--code", help="Billed codes for notes that have none."),
    id_col: Optional[str] = typer.Option(None, "--id-col", help="Column with the note id."),
    text_col: Optional[str] = typer.Option(None, "--text-col", help="Column with the note text."),
    code_col: Optional[str] = typer.Option(None, "--code-col", help="Column with the billed codes."),
    date_col: Optional[str] = typer.Option(None, "--date-col", help="Column with the date of service."),
    no_text: bool = typer.Option(False, "--no-text", help="Leave note text out of the results (offsets and values only)."),
    max_note_bytes: int = typer.Option(1_000_000, "--max-note-bytes", min=1, help="Larger notes are error records."),
    rules: Optional[Path] = typer.Option(None, "--rules", help="Rule pack folder (readable on every executor)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the output folder if it exists."),
    profile: Optional[str] = typer.Option(None, "--profile", help="Payer profile (default strict); checks across a patient's notes group rows by patient."),
    partitions: int = typer.Option(0, "--partitions", min=0, help="Spread notes over this many tasks (0: at least one per core)."),
    quiet_: bool = typer.Option(False, "--quiet", "-q", help="No summary."),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More log lines (never note text)."),
) -> None:
    """Check a Parquet export with Spark; the same records as `scan`, written as Parquet."""
    from .claims import parse_claims
    from .spark import spark_scan as run_spark_scan

    _setup_logging(verbose)
    try:
        if code:
            parse_claims(code)
        summary = run_spark_scan(
            path, output, master=master, overwrite=overwrite, partitions=partitions, id_col=id_col, text_col=text_col, code_col=code_col,
            date_col=date_col, default_code=code, max_note_bytes=max_note_bytes, rules_dir=rules, include_text=not no_text,
            profile=profile,
        )
    except NotecheckError as exc:
        _fail(exc)
    if not quiet_:
        typer.echo(summary.line(), err=True)
    raise typer.Exit(0 if summary.all_complete else 1)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (default: this machine only)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    token_file: Optional[Path] = typer.Option(None, "--token-file", help="File whose first line is the bearer token every request but /healthz needs."),
    max_body_bytes: int = typer.Option(5_000_000, "--max-body-bytes", min=1, help="Larger request bodies get 413."),
    max_batch: int = typer.Option(100, "--max-batch", min=1, help="Most notes in one batch request (more: 422)."),
    timeout: float = typer.Option(30.0, "--timeout", min=0.001, help="Seconds a request may take (more: 503)."),
    max_note_bytes: int = typer.Option(1_000_000, "--max-note-bytes", min=1, help="Larger notes are error records."),
    rules: Optional[Path] = typer.Option(None, "--rules", help="Rule pack folder."),
    profile: Optional[str] = typer.Option(None, "--profile", help="Payer profile for every request (default strict)."),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More log lines (never note text)."),
) -> None:
    """Serve the checker over HTTP (see /docs); stops on Ctrl-C."""
    from .serve import ServeSettings, read_token, run

    _setup_logging(verbose)
    try:
        settings = ServeSettings(
            token=read_token(token_file) if token_file else None, max_body_bytes=max_body_bytes, max_batch=max_batch,
            timeout=timeout, max_note_bytes=max_note_bytes, rules_dir=str(rules) if rules else None, profile=profile,
        )
        run(settings, host, port)
    except NotecheckError as exc:
        _fail(exc)


def main() -> None:  # pragma: no cover
    app()
