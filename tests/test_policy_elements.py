"""The policy elements (spec: present only when done or obtained), with their normalized values."""

from __future__ import annotations

import pytest

from notecheck.policy_values import parse_pain_scores, parse_relief, relief_from_scores

TOXIN = "Botox 100 units/2 mL was used. "


@pytest.mark.parametrize("text, element, values", [
    ("First diagnostic medial branch block on 2025-01-06 gave 90% relief of the index pain.",
     "prior_block_relief", {"mbb 90% 2025-01-06"}),
    ("The second MBB (01/27/2025) provided 85% relief.", "prior_block_relief", {"mbb 85% 2025-01-27"}),
    ("Prior RFA of the same levels gave 70% relief lasting 8 months.", "prior_block_relief", {"rf 70% ? 8mo"}),
    ("She reported 80% pain relief after the genicular nerve block on 3/3/25.", "prior_block_relief", {"genicular 80% 2025-03-03"}),
    ("Two prior medial branch blocks on 06/01/2025 and 06/20/2025 gave 90% and 85% relief.", "prior_block_relief",
     {"mbb 90% 2025-06-01", "mbb 85% 2025-06-20"}),  # once one value, the last percent with the first date
    ("Dual comparative medial branch blocks gave 85% and 90% relief.", "prior_block_relief", {"mbb 85% ?", "mbb 90% ?"}),
    ("Pain 7/10 -> 2/10 at 30 minutes.", "pain_scores", {"before 7/10 after 2/10"}),
    ("Pre-procedure pain 8/10. Post-procedure pain 1/10.", "pain_scores", {"before 8/10", "after 1/10"}),
    ("She rated her pain 3/10, down from 8/10, in recovery.", "pain_scores", {"before 8/10 after 3/10"}),
    ("VAS 6/10 pre, 2/10 post.", "pain_scores", {"before 6/10", "after 2/10"}),
    ("Pain before 7/10, after 2/10.", "pain_scores", {"before 7/10", "after 2/10"}),
    ("NRS 8 -> 2 at 20 minutes.", "pain_scores", {"before 8/10 after 2/10"}),
    ("VAS 7 pre-procedure, 2 post.", "pain_scores", {"before 7/10 after 2/10"}),
    ("Modified Ashworth 3 at the elbow flexors.", "functional_assessment", {"modified_ashworth"}),
    ("ODI 42% today; functional improvement since the last visit.", "functional_assessment", {"odi", "functional_change"}),
    (TOXIN + "100 units into the right gastrocnemius and 50 units to the soleus. Total 150 units.",
     "toxin_units", {"gastrocnemius 100 units", "soleus 50 units", "total 150 units"}),
    (TOXIN + "Biceps: 60 units.", "toxin_units", {"biceps 60 units"}),
    (TOXIN + "No units wasted.", "wastage", {"none"}),
    (TOXIN + "Wastage: none.", "wastage", {"none"}),
    (TOXIN + "50 units discarded.", "wastage", {"50 units"}),
])
def test_policy_elements_found(checker, text, element, values):
    f = checker.check(text).elements[element]
    assert f.present and set(f.values) == values
    assert all(text[e.start:e.end] == e.text for e in f.evidence)  # evidence offsets into the note


@pytest.mark.parametrize("text, element", [
    ("If she gets 80% relief from the block we will proceed with ablation.", "prior_block_relief"),
    ("The medial branch block was done with 0.5% bupivacaine.", "prior_block_relief"),
    ("Pain is 6/10.", "pain_scores"),  # no before or after: not the procedure's scores
    ("NRS 8 today; she walks 2 blocks.", "pain_scores"),
    ("Follow up in 2 weeks; pain 6/10 at rest.", "pain_scores"),
    ("We will measure the ODI at the next visit.", "functional_assessment"),
    ("Phenol 5 mL at the left tibial nerve; 100 units of heparin were given for the line.", "toxin_units"),
    ("Phenol 5 mL injected; no waste.", "wastage"),  # no toxin: no toxin wastage
])
def test_policy_elements_not_found(checker, text, element):
    assert not checker.check(text).elements[element].present


def test_policy_elements_values_read_back():
    r = parse_relief("mbb 90% 2025-01-06 7mo")
    assert (r.block, r.percent, r.date.isoformat(), r.months) == ("mbb", 90, "2025-01-06", 7.0)
    assert parse_relief("block ?% ?").percent is None
    assert parse_pain_scores(("before 8/10", "after 2/10")) == (8.0, 2.0)
    assert relief_from_scores(("before 8/10 after 1/10",)) == 88
    assert relief_from_scores(("after 1/10",)) is None
