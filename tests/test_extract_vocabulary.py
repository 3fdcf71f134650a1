"""Wording clinicians write that the element vocabularies must read (issue 14: wording that generalizes).

One row per way of writing a target, an agent, consent, placement confirmation, response or follow-up.
"""

from __future__ import annotations

import pytest

ROWS = [
    ("nerve_target", "Right knee genicular RFA: SM, SL, IM genicular nerves lesioned at 80 C under fluoroscopy.", {"genicular_nerve"}),
    ("nerve_target", "Right knee: SM, SL and IM lesioned at 80 C under fluoroscopy after genicular blocks.", {"genicular_nerve"}),
    ("nerve_target", "Genicular targets were localized under fluoroscopy and lesioned at 80 C.", {"genicular_nerve"}),
    ("nerve_target", "R knee GN RFA performed; 3 GN targets lesioned.", {"genicular_nerve"}),
    ("nerve_target", "Right TON RFA: lesions at C2-3 at 80 C under fluoroscopy.", {"third_occipital_nerve"}),
    ("nerve_target", "Left LFCN was injected with 3 mL 0.5% bupivacaine under ultrasound.", {"lateral_femoral_cutaneous_nerve"}),
    ("nerve_target", "Right retrogasserian glycerol rhizotomy under fluoroscopy.", {"trigeminal_ganglion"}),
    ("nerve_target", "The foramen ovale was entered by the Hartel approach; 0.3 mL glycerol was instilled.", {"trigeminal_ganglion"}),
    ("nerve_target", "Bilateral L4 and L5 MBB with 0.5 mL bupivacaine each under fluoro.", {"medial_branch"}),
    ("nerve_target", "Right glycerol rhizotomy for trigeminal neuralgia of V2 and V3 at the gasserian ganglion.", {"trigeminal_ganglion"}),
    ("nerve_target", "Levels: right L4 medial branch and L5 dorsal ramus\nLesion: 80 C for 90 s.", {"medial_branch", "dorsal_ramus"}),
    ("agent", "Right retrogasserian glycerol rhizotomy under fluoroscopy.", {"glycerol"}),
    ("agent", "L FCR 50 units, L FCU 40 units onabotulinumtoxinA.", {"botulinum_toxin"}),
    ("agent", "L SGB under US. Neg asp. 5 cc 0.25% bupi.", {"local_anesthetic"}),
    ("volume", "L SGB under US. Neg asp. 5 cc 0.25% bupi.", {"5 mL"}),
    ("agent", "contrast confirmed spread with no vascular uptake period 10 ml of 0.25 percent bupivacaine was injected period",
     {"local_anesthetic"}),
    ("agent", "The right T5 intercostal nerve was cryoablated under ultrasound.", {"cryoablation"}),
    ("nerve_target", "The right T5 intercostal nerve was cryoablated under ultrasound.", {"intercostal_nerve"}),
    # a nerve block named as the anaesthetic of an operation is a block like any other (ANNOTATION.md rule 2)
    ("agent", "OPERATION: Amputation of the right hallux.\nANESTHESIA: Right ankle block with 20 mL of 0.5% Marcaine plain.",
     {"local_anesthetic"}),
    ("volume", "OPERATION: Amputation of the right hallux.\nANESTHESIA: Right ankle block with 20 mL of 0.5% Marcaine plain.",
     {"20 mL"}),
    ("response", "Tol well, no cx.", set()),
    ("response", "Pt tol well.", set()),
    ("response", "No cx.", set()),
    ("response", "Aspiration negative? Y\nComplications? N\nDisposition: home", set()),
    ("follow_up", "D/c home with driver.", set()),
    ("follow_up", "d/c'd home.", set()),
    ("follow_up", "F/u 2 wks.", set()),
    ("consent", "She signed consent.", set()),
    ("consent", "The signed form is in the chart.", set()),
    ("consent", "Consent on file.", set()),
    ("consent", "Risks reviewed; pt agreed to proceed.", set()),
    ("consent", "After R/B/A discussion the patient wished to go ahead.", set()),
    ("consent", "Consent was obtained from her daughter, who holds healthcare POA.", set()),
    ("consent", "His wife signed the consent form as his surrogate.", set()),
    ("consent", "His wife has signed consent for the procedure.", set()),
    ("placement_confirmation", "Concordant paresthesia was reproduced in the lateral thigh.", {"stimulation"}),
    ("placement_confirmation", "Needle position confirmed by sensory testing at 50 Hz.", {"stimulation"}),
    ("placement_confirmation", "Paresthesia was elicited in the V2 distribution before injection.", {"stimulation"}),
    ("placement_confirmation", "Sensory stim at 0.4 V reproduced concordant pain.", {"stimulation"}),
    ("placement_confirmation", "CSF return confirmed the cistern and 0.3 mL of contrast outlined it.", {"contrast"}),
    ("placement_confirmation", "Needles to the L4 medial branch; neg asp; 0.5 cc 0.5% bupivacaine.", {"aspiration"}),
]


@pytest.mark.parametrize("element, text, values", ROWS, ids=[f"{e}-{i}" for i, (e, _, _) in enumerate(ROWS)])
def test_extract_vocabulary_reads_real_dictation(checker, element, text, values):
    finding = checker.check(text).elements[element]
    shown = f"{element} in {text!r}: {finding.values} excluded={[(e.text, e.reason) for e in finding.excluded]}"
    assert finding.present, shown
    if values:
        assert set(finding.values) == values, shown


# "both" is a side only beside what is treated: "informed both verbally and in writing", "both incisions"
NOT_A_SIDE = [
    "The patient was informed both verbally and in writing. The L4 medial branch was injected with 0.5 mL bupivacaine.",
    "The ilioinguinal nerve was blocked with 5 mL bupivacaine. Dermabond was placed on both incisions.",
]


@pytest.mark.parametrize("text", NOT_A_SIDE)
def test_both_alone_is_not_bilateral(checker, text):
    finding = checker.check(text).elements["laterality"]
    assert "bilateral" not in finding.values, f"{finding.values} excluded={[(e.text, e.reason) for e in finding.excluded]}"


def test_both_beside_a_target_is_bilateral(checker):
    finding = checker.check("Both L4 medial branches were injected with 0.5 mL bupivacaine each.").elements["laterality"]
    assert finding.values == ("bilateral",) or list(finding.values) == ["bilateral"], finding.values
