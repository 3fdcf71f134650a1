"""Procedure scope: does a note document a procedure performed in this encounter (``procedure_documented``)?

A consult, progress note or plan that only discusses a procedure yields no present element of the procedure
(its diagnosis and follow-up still count), and never an inferred code. In an operative note for another
surgery, the block given as its anaesthetic confirms no placement and infers no destruction code.
"""

from __future__ import annotations

import pytest

from notecheck import to_record
from notecheck.models import ELEMENTS

KEPT = {"indication", "follow_up"}

NOT_DOCUMENTED = [
    pytest.param("Follow-up visit.\n2 weeks s/p superior hypogastric plexus neurolysis with 8 mL phenol per side. "
                 "Pelvic pain 3/10.\nPlan: continue current regimen; RTC 6 weeks.", id="follow-up-visit"),
    pytest.param("CHIEF COMPLAINT: Right knee pain.\nHISTORY OF PRESENT ILLNESS: Osteoarthritis of the right knee.\n"
                 "PHYSICAL EXAMINATION: Tender medial joint line.\nIMPRESSION: Right knee osteoarthritis.\n"
                 "RECOMMENDATIONS: Genicular nerve radiofrequency ablation of the right SM, SL and IM genicular "
                 "nerves under fluoroscopy was discussed; she signed consent and wishes to proceed next month.",
                 id="consult-plans-rfa"),
    pytest.param("Spasticity clinic. Discussed Botox for the right wrist and finger flexors. The patient declined "
                 "injection today and prefers splinting. No procedure performed.\nFollow up in 6 weeks.",
                 id="no-procedure-performed"),
    pytest.param("Progress note\nLeft obturator nerve phenol injection helped her adductor tone. Right side tone "
                 "is worse.\nAssessment: spastic diplegia.\nPlan: repeat left obturator phenol 6% 5 mL under "
                 "ultrasound in 3 months.", id="progress-note"),
]

DOCUMENTED = [
    pytest.param("Target: L obturator n.\nAgent: phenol 6%\nVolume: 5 mL\nImaging: US\nConsent: signed", id="template"),
    pytest.param("Left obturator nerve located with ultrasound; 5 mL of 6% phenol injected. Tol well, no cx.",
                 id="terse-prose"),
    pytest.param("CHIEF COMPLAINT: Neck pain.\nPHYSICAL EXAMINATION: Trigger points in the right trapezius.\n"
                 "Trigger point injections were performed today with 1 mL of 1% lidocaine at each of 3 points.",
                 id="visit-with-procedure-today"),
    pytest.param("PROCEDURE: Right genicular nerve RFA.\nSUBJECTIVE: Knee pain for years.\nThe SM, SL and IM "
                 "genicular nerves were lesioned at 80 C for 90 s under fluoroscopy.", id="visit-headers-and-procedure"),
]


@pytest.mark.parametrize("text", NOT_DOCUMENTED)
def test_extract_procedure_scope_a_visit_that_only_discusses_a_procedure_documents_none(checker, text):
    result = checker.check(text)
    assert result.procedure_documented is False
    present = {e for e, f in result.elements.items() if f.present}
    assert present <= KEPT, present
    assert not [c for c in result.codes if c.source == "inferred"]
    assert result.status == "no_code"
    record = to_record(result)
    assert record["procedure_documented"] is False


@pytest.mark.parametrize("text", DOCUMENTED)
def test_extract_procedure_scope_a_procedure_note_documents_one(checker, text):
    result = checker.check(text)
    assert result.procedure_documented is True
    assert to_record(result)["procedure_documented"] is True
    assert any(result.elements[e].present for e in ("nerve_target", "agent", "volume", "muscles"))


def test_extract_procedure_scope_a_billed_code_on_a_consult_is_incomplete_not_dropped(checker):
    text = NOT_DOCUMENTED[0].values[0]
    result = checker.check(text, codes="64681")
    assert result.procedure_documented is False
    assert [c.code for c in result.codes] == ["64681"] and result.status == "incomplete"
    excluded = {ev.reason for e in ELEMENTS if e not in KEPT for ev in result.elements[e].excluded}
    assert "no_procedure_documented" in excluded  # the reason an auditor reads on the phenol and its target


OPERATIVE = ("PREOPERATIVE DIAGNOSIS: Right inguinal hernia.\nOPERATION: Right inguinal hernia repair with mesh.\n"
             "ANESTHESIA: General.\nDESCRIPTION OF PROCEDURE: After induction, a right ilioinguinal nerve block for "
             "postoperative analgesia was placed after negative aspiration with 10 mL of 0.25% bupivacaine. An "
             "incision was made and the hernia sac was reduced. The mesh was secured. The surgical consent, "
             "operative site and the patient's identification were verified.")


def test_extract_procedure_scope_an_anesthetic_block_in_another_surgery_is_not_the_audited_procedure(checker):
    result = checker.check(OPERATIVE)
    pc = result.elements["placement_confirmation"]
    assert not pc.present, [(e.text, e.reason) for e in pc.evidence]
    assert {e.reason for e in pc.excluded} == {"anesthetic_block"}
    assert not [c for c in result.codes if c.source == "inferred" and c.code.startswith("646")]


@pytest.mark.parametrize("text", [
    "Diagnosis: EMG-proven left carpal tunnel syndrome.",
    "A left upper lobe mass was biopsied with fine-needle aspiration.",
    "The surgical consent, operative site and identification were verified.",
], ids=["emg-proven", "fine-needle-aspiration", "verified-identity"])
def test_extract_procedure_scope_diagnostic_wording_is_no_placement_confirmation(checker, text):
    assert not checker.check(text).elements["placement_confirmation"].present
