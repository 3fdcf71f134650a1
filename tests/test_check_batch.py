"""Checker.check_many: one failing note becomes an error record, the pipeline is renewed on long runs
(and the old one freed), and forked workers start with the parent's pipeline."""

from __future__ import annotations

import dataclasses
import gc
import os
import weakref

import pytest

import notecheck.check as check_module
from notecheck import Checker, NoteInput, to_record

CANARY = "ZEBRACANARY"
NOTES = [NoteInput(f"n{i}", f"src:{i}", f"Left obturator nerve {CANARY} phenol 5 mL injected, note {i}.") for i in range(6)]


def test_check_batch_a_failing_note_is_an_error_record_and_the_batch_goes_on(monkeypatch):
    checker = Checker()
    real = checker.extractor

    def flaky(doc):
        if "note 3" in doc.text:
            raise ValueError(f"boom {doc.text}")
        return real(doc)

    monkeypatch.setattr(checker, "extractor", flaky)
    results = list(checker.check_many(NOTES, batch_size=4))
    assert [r.id for r in results] == [n.id for n in NOTES]
    bad = results[3]
    assert bad.status == "error" and bad.error.kind == "internal" and "ValueError" in bad.error.message
    assert CANARY not in str(to_record(bad))
    assert all(r.status != "error" for i, r in enumerate(results) if i != 3)


def test_check_batch_pipeline_is_renewed_with_the_same_results(monkeypatch):
    expected = [to_record(r) for r in Checker().check_many(NOTES, batch_size=2)]
    monkeypatch.setattr(check_module, "RENEW_STRINGS", -1)  # before every chunk
    renewed = Checker()
    first = renewed.nlp
    got = [to_record(r) for r in renewed.check_many(NOTES, batch_size=2)]
    assert got == expected
    assert renewed.nlp is not first


def test_check_batch_a_replaced_pipeline_is_freed(monkeypatch):
    """A build ends with gc.freeze(), and frozen objects are never collected: a renewal must unfreeze
    first, or every pipeline it replaces would stay in memory."""
    monkeypatch.setattr(check_module, "RENEW_STRINGS", -1)  # before every chunk
    checker = Checker()
    assert gc.get_freeze_count() > 0
    first = weakref.ref(checker.nlp)
    list(checker.check_many(NOTES, batch_size=2))
    assert first() is None


@pytest.mark.skipif(os.name != "posix", reason="workers are forked only on POSIX")
def test_check_batch_forked_workers_use_the_parents_pipeline(monkeypatch):
    checker = Checker()

    class Rebuilt(Checker):  # what a worker would build for itself
        def _result(self, note, doc):
            return dataclasses.replace(super()._result(note, doc), source="rebuilt")

    monkeypatch.setattr(check_module, "Checker", Rebuilt)
    results = list(checker.check_many(NOTES, batch_size=2, jobs=2))
    assert [r.source for r in results] == [n.source for n in NOTES]
    assert [to_record(r) for r in results] == [to_record(r) for r in checker.check_many(NOTES, batch_size=2)]


def test_check_batch_results_pickle_by_their_fields():
    """Worker processes send every result back pickled: as the class and its field values, and whole again."""
    import pickle

    [result] = Checker().check_many(NOTES[:1])
    cls, values = result.__reduce__()
    assert cls is type(result) and values[:2] == (result.id, result.source)
    assert pickle.loads(pickle.dumps(result)) == result
    evidence = result.elements["nerve_target"].evidence[0]
    assert evidence.__reduce__() == (type(evidence), tuple(getattr(evidence, f) for f in evidence.__slots__))


def test_check_batch_error_records_keep_what_was_read(checker):
    """A note with unreadable billed codes is an error record that still names its patient and date of
    service (so a review queue can sort it), and says nothing of a procedure it did not read."""
    note = NoteInput("n1", "export.csv:1", "Left obturator nerve phenol neurolysis.", "6464O-LT",
                     service_date="06/01/2025", patient="p7")
    record = to_record(checker.check(note))
    assert record["status"] == "error" and record["error"]["kind"] == "bad_code"
    assert (record["patient"], record["service_date"], record["service_date_source"]) == ("p7", "2025-06-01", "column")
    assert record["procedure_documented"] is None
    checked = to_record(checker.check(NoteInput("n2", "export.csv:2", "Left obturator nerve phenol neurolysis.", "64640-LT")))
    assert checked["procedure_documented"] is True


def test_check_batch_pipeline_renewed_by_vocabulary_size_gives_the_same_results(monkeypatch):
    """The pipeline is rebuilt once its vocabulary has grown by RENEW_STRINGS strings (record numbers and dates
    are new words), whatever the number of notes; the results are those of a pipeline never rebuilt."""
    from notecheck import Checker, NoteInput, check, to_record

    notes = [NoteInput(id=f"n{i}", source=f"s{i}", codes="64640-LT",
                       text=f"MRN {7000000 + i * 37}. Left obturator nerve neurolysis with {i % 9 + 1} mL of 6% phenol "
                            f"under ultrasound on 2026-03-{i % 28 + 1:02d}. Consent signed. Visit zq{i}x.")
             for i in range(60)]
    checker = Checker()
    want = [to_record(r) for r in checker.check_many(notes, batch_size=4)]
    monkeypatch.setattr(check, "RENEW_STRINGS", 30)
    builds = []
    real_build = check.build_pipeline
    monkeypatch.setattr(check, "build_pipeline", lambda rules: builds.append(1) or real_build(rules))
    renewing = Checker()
    got = []
    for i in range(0, len(notes), 4):
        got += [to_record(r) for r in renewing.check_many(notes[i:i + 4], batch_size=4)]
        assert len(renewing.nlp.vocab.strings) - renewing._strings_built <= 30 + 4 * 20  # bounded by the threshold
    assert len(builds) > 3  # rebuilt several times, by vocabulary growth alone
    assert got == want
