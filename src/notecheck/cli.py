"""The command line: parse options, call the library, render, pick the exit code (EXIT_CODES)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import NoReturn, Optional

import click
import typer

from . import __version__, quiet
from .errors import NotecheckError

EXIT_CODES = """Exit codes:

\b
  0  every note complete and unflagged (eval: every target met; rules check: every example passes)
  1  findings: a note incomplete, flagged, without a code or unreadable (eval: a target missed;
     rules check: an example fails)
  2  usage error, rule-file error, or an input path that does not exist or would be overwritten
  3  notecheck failed: an internal error or an output that cannot be written
"""

app = typer.Typer(
    add_completion=False, no_args_is_help=True, rich_markup_mode=None, pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Check procedure notes for the documentation each billed code needs.\n\n" + EXIT_CODES,
)
rules_app = typer.Typer(no_args_is_help=True, help="Work on a rule pack.")
app.add_typer(rules_app, name="rules")
log = logging.getLogger("notecheck")


def _print_version(value: bool) -> None:
    if value:
        from .rules import load_rules

        typer.echo(f"notecheck {__version__} (rules {load_rules().version})")  # the shipped pack, as records name it
        raise typer.Exit(0)


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
) -> None:
    pass


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


def _fail(exc: NotecheckError) -> NoReturn:
    typer.echo(f"notecheck: error {exc}", err=True)
    raise typer.Exit(exc.exit_code)


def _run(work: Callable[[], int], debug: bool = False) -> NoReturn:
    """Run a command's work and exit with its code. A NotecheckError prints its one-line message; anything
    else is notecheck's own failure: one line with the exception type (its message could quote a note),
    exit 3, and the traceback only with --debug."""
    try:
        code = work()
    except NotecheckError as exc:
        if debug:
            raise
        _fail(exc)
    except (click.exceptions.Exit, click.exceptions.ClickException):
        raise
    except KeyboardInterrupt:
        typer.echo("notecheck: interrupted", err=True)
        raise typer.Exit(130) from None
    except BrokenPipeError:  # the reader of stdout went away (`| head`): stop quietly, as killed by SIGPIPE
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(141) from None
    except OSError as exc:
        if debug:
            raise
        where = f" ({exc.filename})" if exc.filename else ""
        typer.echo(f"notecheck: error: {exc.strerror or type(exc).__name__}{where}", err=True)
        raise typer.Exit(3) from None
    except Exception as exc:  # noqa: BLE001 - the one place that turns a bug into exit code 3
        if debug:
            raise
        typer.echo(f"notecheck: internal error ({type(exc).__name__}). Rerun with --debug for the traceback.", err=True)
        raise typer.Exit(3) from None
    raise typer.Exit(code)


DEBUG = typer.Option(False, "--debug", help="Show the traceback of an internal error (it may quote note text).")
RULES = typer.Option(None, "--rules", help="Rule pack folder (default: the shipped one, or $NOTECHECK_RULES).")
VERBOSE = typer.Option(0, "--verbose", "-v", count=True, show_default=False, help="More log lines (never note text).")


@app.command(epilog=EXIT_CODES)
def scan(
    paths: list[str] = typer.Argument(..., metavar="PATH", help="Files, folders, exports (CSV/TSV/JSONL/Parquet, .gz too), or - for JSONL on stdin."),
    fmt: Optional[Format] = typer.Option(None, "--format", "-f", help="Output format (default: table on a terminal, else jsonl)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report here instead of stdout (JSONL as it goes; other formats replace it when the run ends)."),
    code: Optional[str] = typer.Option(None, "--code", help="Billed codes for notes that have none, e.g. '64640-LT x2'."),
    id_col: Optional[str] = typer.Option(None, "--id-col", help="Export column with the note id."),
    text_col: Optional[str] = typer.Option(None, "--text-col", help="Export column with the note text."),
    code_col: Optional[str] = typer.Option(None, "--code-col", help="Export column with the billed codes."),
    date_col: Optional[str] = typer.Option(None, "--date-col", help="Export column with the date of service."),
    patient_col: Optional[str] = typer.Option(None, "--patient-col", help="Export column with the patient (checks across a patient's notes; detected: patient_id, mrn, patient ...)."),
    profile: Optional[str] = typer.Option(None, "--profile", help="Payer profile in patterns/profiles/ (strict, cpt, medicare ...; default strict)."),
    date_format: Optional[str] = typer.Option(None, "--date-format", metavar="FORMAT", help="strptime format tried first on dates of service, e.g. %d/%m/%Y (ISO, MM/DD/YYYY and YYYYMMDD are read without it)."),
    keep_col: Optional[list[str]] = typer.Option(None, "--keep-col", metavar="COLUMN", help="Export column to carry into the report (repeatable), e.g. provider."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, metavar="N", help="Worker processes (default: all cores)."),
    resume: Optional[Path] = typer.Option(None, "--resume", help="Append to this JSONL output of an earlier run, skipping notes already in it."),
    no_text: bool = typer.Option(False, "--no-text", help="Leave note text out of the report (offsets and values only)."),
    max_note_bytes: int = typer.Option(1_000_000, "--max-note-bytes", min=1, metavar="BYTES", help="Larger notes are error records."),
    delimiter: Optional[str] = typer.Option(None, "--delimiter", metavar="CHAR", help="CSV field separator (default: sniffed from the header: , ; tab |)."),
    stdin_format: Optional[str] = typer.Option(None, "--stdin-format", metavar="FORMAT", help="What - reads: jsonl, or text for one note (default: detected)."),
    rules: Optional[Path] = RULES,
    edits: Optional[Path] = typer.Option(None, "--edits", envvar="NOTECHECK_EDITS", metavar="DIR", help="Folder with CMS's MUE and NCCI PTP tables (CSV/tab text): adds mue_exceeded and ptp_conflict flags."),
    quiet_: bool = typer.Option(False, "--quiet", "-q", help="No progress bar and no summary line."),
    verbose: int = VERBOSE,
    debug: bool = DEBUG,
) -> None:
    """Check every note and report what each billed code is missing."""
    _setup_logging(verbose)
    if resume is not None:
        if output is not None and output != resume:
            raise typer.BadParameter("--resume names the output file; leave out -o or give the same file.")
        fmt = fmt or Format.jsonl
        if fmt != Format.jsonl:
            raise typer.BadParameter("--resume works with --format jsonl only.")
    if fmt is None:
        fmt = Format.table if output is None and resume is None and sys.stdout.isatty() else Format.jsonl

    def work() -> int:
        from .check import Checker
        from .claims import parse_claims
        from .progress import WithProgress, progress_bar
        from .renderers import RENDERERS, open_output
        from .scan import check_paths, default_jobs, resume_done, resume_records
        from .scan import scan as run_scan

        if fmt.value not in RENDERERS:
            raise typer.BadParameter(f"format {fmt.value} is not available in this installation.")
        check_paths(paths, [p for p in (output, resume) if p is not None])
        if code:
            parse_claims(code)
        done = resume_done(resume) if resume is not None else set()
        checker = Checker(rules, keep_text=(fmt == Format.html and not no_text), date_format=date_format,
                          edits_dir=edits, profile=profile)
        mode = "append" if resume is not None else "stream" if fmt == Format.jsonl else "atomic"
        with open_output(resume or output, mode) as stream:
            extra = {"inputs": paths} if fmt == Format.html else {}  # the report's header names the input
            renderer = RENDERERS[fmt.value](stream, include_text=not no_text, **extra)
            with progress_bar(not quiet_) as bar:
                summary = run_scan(
                    paths, WithProgress(renderer, bar), checker=checker, jobs=jobs or default_jobs(), done=done,
                    prior=resume_records(resume) if resume is not None else (), patient_col=patient_col,
                    id_col=id_col, text_col=text_col, code_col=code_col, date_col=date_col,
                    default_code=code, max_note_bytes=max_note_bytes, keep_cols=keep_col or (),
                    delimiter=_delimiter(delimiter), stdin_format=stdin_format,
                )
        log.info("rules %s", checker.rules.version)
        if not quiet_:
            typer.echo(summary.line(), err=True)
        return 0 if summary.all_complete else 1

    _run(work, debug)


def _delimiter(value: str | None) -> str | None:
    """``--delimiter``: one character, or a name for one that is awkward to type in a shell."""
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    return None if value is None else named.get(value.lower(), value)


@app.command()
def codes(rules: Optional[Path] = RULES) -> None:
    """List the supported codes."""
    from .rules import load_rules

    def work() -> int:
        families: dict[str, list] = {}
        for versions in load_rules(rules).codes.values():
            families.setdefault(versions[-1].family, []).append(versions[-1])
        for family, rules_ in families.items():
            typer.echo(f"{family}:")
            for rule in rules_:
                typer.echo(f"  {rule.code}{' (add-on)' if rule.addon else ''}  {rule.title}")
        return 0

    _run(work)


@app.command()
def explain(
    code: str = typer.Argument(..., metavar="CODE", help="A CPT code, e.g. 64640."),
    rules: Optional[Path] = RULES,
    profile: Optional[str] = typer.Option(None, "--profile", help="Payer profile: what it asks for this code."),
) -> None:
    """Show a code's required elements and what satisfies each."""
    from .explain import explain_code

    def work() -> int:
        typer.echo(explain_code(code, rules, profile))
        return 0

    _run(work)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the output record."""
    from .schema import record_schema_text

    typer.echo(record_schema_text().rstrip("\n"))


class EvalFormat(str, Enum):
    text = "text"
    json = "json"


@app.command("eval", epilog=EXIT_CODES)
def eval_cmd(
    gold: Path = typer.Argument(..., metavar="GOLD", help="A gold JSONL file or a folder of them."),
    fmt: EvalFormat = typer.Option(EvalFormat.text, "--format", "-f", help="Report format."),
    realnotes: Optional[Path] = typer.Option(None, "--realnotes", help="Folder of the real notes that gold lines refer to."),
    rules: Optional[Path] = RULES,
    debug: bool = DEBUG,
) -> None:
    """Measure extraction against a gold corpus.

    Prints precision, recall and F1 per element, note-status accuracy and every miss.

    Exits 1 when an element's presence F1 is below its target (0.95 for nerve_target, agent, volume,
    imaging, laterality and consent; 0.90 for the others).
    """
    from .evaluate import evaluate, render_json, render_text

    def work() -> int:
        report = evaluate(gold, rules_dir=rules, realnotes=realnotes)
        typer.echo(render_json(report) if fmt == EvalFormat.json else render_text(report))
        return 0 if report.targets_met() else 1

    _run(work, debug)


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
    date_format: Optional[str] = typer.Option(None, "--date-format", metavar="FORMAT", help="strptime format tried first on dates of service, e.g. %d/%m/%Y."),
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
            date_format=date_format, profile=profile,
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
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Server processes, each with its own checker (default: all cores)."),
    queue_depth: int = typer.Option(256, "--queue-depth", min=1, help="Requests one worker holds (reading, waiting or checked); more: 503 with Retry-After."),
    allow_host: list[str] = typer.Option([], "--allow-host", help="Another name clients may give in the Host header (repeatable)."),
    docs: bool = typer.Option(False, "--docs", help="Serve the Swagger UI page at /docs (it loads its scripts from a CDN)."),
    date_format: Optional[str] = typer.Option(None, "--date-format", metavar="FORMAT", help="strptime format tried first on dates of service, e.g. %d/%m/%Y."),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More log lines (never note text)."),
) -> None:
    """Serve the checker over HTTP (schema at /openapi.json); stops on Ctrl-C."""
    from .serve import ServeSettings, accepted_hosts, default_workers, read_token, run

    _setup_logging(verbose)
    try:
        settings = ServeSettings(
            token=read_token(token_file) if token_file else None, max_body_bytes=max_body_bytes, max_batch=max_batch,
            timeout=timeout, max_note_bytes=max_note_bytes, rules_dir=str(rules) if rules else None,
            queue_depth=queue_depth, hosts=accepted_hosts(host, tuple(allow_host)), docs=docs,
            date_format=date_format, profile=profile,
        )
        run(settings, host, port, workers=workers or default_workers())
    except NotecheckError as exc:
        _fail(exc)


def main() -> NoReturn:
    """The ``notecheck`` console script (and ``python -m notecheck``): ``app``, then the process ends with its exit
    code without the interpreter's teardown, which frees every module and object one by one (0.1-0.2 s of a
    one-note scan; issue 18). What the teardown would do that shows is done first: atexit functions run,
    logging handlers and sys.stdout/sys.stderr are flushed. Only when nothing else could still be running (one
    thread, no child process) and every flush worked; otherwise ``sys.exit`` as usual. Calling ``app`` (tests
    with typer's CliRunner, library users) never ends the process this way."""
    try:
        app(prog_name="notecheck")
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    _exit_now(code)


def _exit_now(code) -> NoReturn:
    """``sys.exit(code)``, skipping the interpreter's teardown when that is safe (see ``main``)."""
    import atexit
    import threading

    if not isinstance(code, int):  # SystemExit's own rule: None is 0, anything else is printed, then 1
        if code is not None:
            print(code, file=sys.stderr)
        code = 0 if code is None else 1
    multiprocessing = sys.modules.get("multiprocessing")
    if threading.active_count() > 1 or (multiprocessing is not None and multiprocessing.active_children()):
        sys.exit(code)
    atexit._run_exitfuncs()
    atexit._clear()  # run once, also when sys.exit below runs the teardown after all
    logging.shutdown()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None and not stream.closed:
                stream.flush()
    except (OSError, ValueError):
        sys.exit(code)  # the interpreter reports a failed flush at exit (and exits 120): leave that to it
    os._exit(code)


@rules_app.command("check", epilog=EXIT_CODES)
def rules_check(pack: Path = typer.Argument(..., metavar="DIR", help="The rule pack folder (holding pack.yml).")) -> None:
    """Validate a rule pack and run every match/no_match example in its files."""
    from .rulecheck import check_pack

    def work() -> int:
        report = check_pack(pack)
        for where, problem in report.failures:
            typer.echo(f"FAIL {where}: {problem}")
        verdict = "all pass" if report.ok else f"{len(report.failures)} failed"
        typer.echo(f"{pack}: valid; {report.examples} examples, {verdict}")
        return 0 if report.ok else 1

    _run(work)
