"""Synthetic procedure notes for the benchmarks, and the real notes in shared/realnotes when present.

    from notes import generate, load_real_notes
    notes = list(generate(2000, seed=7))     # [{"id", "text", "codes", "style", "words"}], same on every run

Notes are about 100-800 words (uniform; 450 on average), in three styles: dictated prose, an EHR template with
`Label: value` lines, and a one-line export whose line breaks became commas. Each varies the
procedure (phenol/alcohol neurolysis, plexus neurolysis, radiofrequency and cryo ablation,
botulinum toxin chemodenervation), the target, agent, amount, side, consent (obtained, placeholder,
declined, missing), imaging (used, negated, absent), negated and historical mentions, and headers.
The wording is written for this benchmark; it copies no seed or real note.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

REALNOTES = Path(__file__).resolve().parents[2] / "shared" / "realnotes" / "csv"

# (code, target phrase, sided, agent choices, amount choices)
_NEUROLYSIS = [
    ("64640", "obturator nerve", True, ["6% phenol", "5% aqueous phenol", "dehydrated alcohol 50%"], ["3 mL", "4 mL", "five mL", "6 cc", "8 mL"]),
    ("64640", "musculocutaneous nerve", True, ["6% phenol", "phenol 7%"], ["2 mL", "3 cc", "2.5 mL"]),
    ("64640", "tibial motor branches", True, ["5% phenol", "45% ethyl alcohol"], ["1.5 mL", "2 mL", "4 mL"]),
    ("64640", "genicular nerves", True, ["thermal radiofrequency", "cooled radiofrequency", "cryoneurolysis"], []),
    ("64640", "lateral femoral cutaneous nerve", True, ["cryoablation with the iovera probe", "pulsed radiofrequency"], []),
    ("64640", "suprascapular nerve", True, ["radiofrequency ablation", "6% phenol"], ["2 mL", "3 mL"]),
    ("64640", "sciatic nerve", True, ["dehydrated alcohol", "10% phenol"], ["5 mL", "7 mL", "ten cc"]),
    ("64640", "pudendal nerve", True, ["pulsed radiofrequency", "cryoablation"], []),
    ("64681", "superior hypogastric plexus", False, ["10% phenol", "dehydrated alcohol", "absolute alcohol"], ["8 mL", "10 mL", "12 cc", "6 mL per side"]),
    ("64680", "celiac plexus", False, ["dehydrated alcohol", "absolute ethanol 98%"], ["20 mL", "15 mL", "25 cc"]),
]
_TOXINS = ["onabotulinumtoxinA (Botox)", "Botox", "Dysport", "Xeomin", "incobotulinumtoxinA", "Myobloc"]
_MUSCLES_UPPER = ["biceps", "brachialis", "brachioradialis", "flexor carpi radialis", "flexor carpi ulnaris",
                  "pronator teres", "flexor digitorum superficialis", "pectoralis major", "latissimus dorsi"]
_MUSCLES_LOWER = ["rectus femoris", "medial hamstrings", "gastrocnemius", "soleus", "tibialis posterior",
                  "adductor longus", "vastus medialis", "flexor digitorum longus"]
_SIDES = [("left", "LT"), ("right", "RT"), ("bilateral", "50")]
_IMAGING = ["fluoroscopic guidance with AP and lateral views", "ultrasound guidance", "live fluoroscopy",
            "ultrasound with color Doppler", "C-arm fluoroscopy", "CT guidance"]
_CONFIRM = ["Motor stimulation at 2 Hz produced contraction at 0.4 mA, which faded after injection.",
            "Contrast spread outlined the target without vascular uptake.",
            "Negative aspiration for blood was confirmed before every injection.",
            "Sensory stimulation at 50 Hz reproduced the concordant pain below 0.5 V.",
            "EMG guidance confirmed active motor unit potentials at each site.",
            "Needle position was confirmed on AP and lateral views."]
_INDICATIONS = ["spasticity after a stroke limiting hygiene and transfers", "intractable pelvic cancer pain",
                "chronic knee pain after arthroplasty", "hip adductor spasticity with scissoring gait",
                "elbow flexor spasticity after traumatic brain injury", "refractory neuropathic pain",
                "equinovarus posture interfering with bracing", "pancreatic cancer pain not controlled by opioids"]
_CONSENT_OK = ["Informed consent was obtained after risks, benefits and alternatives were reviewed.",
               "The patient signed the consent form after a discussion of the risks.",
               "Written consent was obtained from the patient's daughter, the health care proxy.",
               "Risks including infection, bleeding and dysesthesia were explained and the patient agreed to proceed.",
               "Verbal and written consent were obtained and placed in the chart."]
_CONSENT_BAD = ["Consent will be obtained at the next visit.", "The patient declined to sign the consent form today.",
                "Consent was not documented prior to the start of the case."]
_RESPONSE = ["The patient tolerated the procedure well with no immediate complications.",
             "There were no complications; vital signs remained stable throughout.",
             "Pain decreased from 8/10 to 3/10 fifteen minutes after the injection.",
             "Tone at the target joint was visibly reduced after the injection."]
_FOLLOW = ["Follow up in clinic in three weeks to reassess tone and function.",
           "Return in 6 weeks; call sooner for fever, new weakness or increasing pain.",
           "Discharged home with written instructions and a follow-up visit in one month.",
           "We will see her back in four weeks for a repeat assessment."]
_NEGATED = ["No fluoroscopy was used for the skin marking.", "There was no paresthesia during needle advancement.",
            "No sedation was given.", "The patient denies any prior alcohol neurolysis.",
            "No hematoma formed at the puncture site."]
_HISTORY = ["Prior phenol neurolysis of the same nerve in 2022 gave about four months of benefit.",
            "Her mother had a celiac plexus block for pancreatic cancer.",
            "He had radiofrequency ablation at another facility two years ago.",
            "Previous botulinum toxin injections were helpful but wore off after ten weeks."]
_PLAN = ["If relief lasts less than three months, consider alcohol neurolysis.",
         "We will plan botulinum toxin to the contralateral limb at the next visit.",
         "Possible repeat cryoablation in six months if the benefit fades."]
_FILLER = [
    "Vital signs were reviewed and were within normal limits before the start of the procedure.",
    "The patient was positioned comfortably and pressure points were padded.",
    "The skin was prepped with chlorhexidine and draped in the usual sterile fashion.",
    "The skin and subcutaneous tissue were anesthetized with 1% lidocaine.",
    "A time-out was performed confirming the patient, procedure and site.",
    "Allergies were reviewed; there are no known drug allergies.",
    "Current medications include baclofen, gabapentin and a daily aspirin, which was not held.",
    "On examination there was increased tone with a catch at mid range and sustained clonus.",
    "Modified Ashworth score was 3 at the elbow and 2 at the wrist before the procedure.",
    "The needle was advanced slowly under continuous visualization toward the target.",
    "Each injection was given slowly with intermittent aspiration.",
    "The needle was flushed with saline and withdrawn, and a bandage was applied.",
    "The patient was monitored in the recovery area for thirty minutes.",
    "Anticoagulation status was reviewed and the INR from last week was 1.1.",
    "Goals of treatment were discussed, including easier hygiene and brace wear.",
    "Functional status: ambulates with a quad cane for household distances.",
    "The patient lives with her spouse, who assists with dressing and bathing.",
    "Review of systems was negative for fever, chills or recent infection.",
    "The procedure was performed in the outpatient procedure suite with a nurse present.",
    "A 22-gauge insulated stimulating needle was used for all injections.",
    "Sterile technique was maintained throughout.",
    "Blood loss was minimal.",
    "Pulse oximetry and blood pressure were monitored continuously.",
    "The patient remained awake and conversant throughout the case.",
]


def _words(text: str) -> int:
    return len(text.split())


def _procedure(rng: random.Random) -> dict:
    """The facts of one note: what was done, where, with what, and what the note says about it."""
    side, mod = rng.choice(_SIDES)
    if rng.random() < 0.3:  # chemodenervation
        upper = rng.random() < 0.5
        muscles = rng.sample(_MUSCLES_UPPER if upper else _MUSCLES_LOWER, rng.randint(1, 4))
        toxin = rng.choice(_TOXINS)
        doses = [f"{rng.choice([25, 40, 50, 75, 100])} units" for _ in muscles]
        action = ", ".join(f"{m} {d}" for m, d in zip(muscles, doses))
        f = dict(code="64642", upper=upper, kind="toxin", target=" and ".join(muscles[:2]),
                 agent=toxin, amount=f"{sum(int(d.split()[0]) for d in doses)} units total", action=action)
        if side == "bilateral":
            side, mod = "left", "LT"
    else:
        code, target, sided, agents, amounts = rng.choice(_NEUROLYSIS)
        agent = rng.choice(agents)
        if any(w in agent for w in ("radiofrequency", "cryo")):  # energy: lesions, maybe a local anesthetic first
            amount = rng.choice(["1 mL of 0.5% bupivacaine", "2 mL of 2% lidocaine", None])
            action = f"{rng.choice([2, 3])} lesions of {rng.choice([60, 90, 120])} seconds at {rng.choice([80, 85, 90])} degrees"
        else:
            amount = rng.choice(amounts) if amounts else None
            action = f"{amount} of {agent}" if amount else agent
        f = dict(code=code, kind="nerve", target=target, agent=agent, amount=amount, action=action)
        if not sided:
            side, mod = "midline", ""
    f["side"], f["mod"] = side, mod
    f["imaging"] = rng.choice(_IMAGING) if rng.random() < 0.85 else None
    r = rng.random()
    f["consent"] = "ok" if r < 0.75 else "placeholder" if r < 0.83 else "bad" if r < 0.92 else "missing"
    f["indication"] = rng.choice(_INDICATIONS)
    f["confirm"] = rng.sample(_CONFIRM, rng.randint(0, 2))
    f["codes_in_text"] = rng.random() < 0.5
    return f


def _claim(f: dict, rng: random.Random) -> str:
    mod = f"-{f['mod']}" if f["mod"] else ""
    extra = f" x{rng.randint(2, 3)}" if rng.random() < 0.15 else ""
    return f"{f['code']}{mod}{extra}"


_SLOTTED = [
    "Blood pressure was {bp}/{dbp} and heart rate {hr} on arrival.",
    "The patient reports pain of {n}/10 at rest and {m}/10 with activity.",
    "Range of motion at the {joint} was limited to {deg} degrees by tone.",
    "A {g}-gauge {len} mm needle was directed toward the {joint} region.",
    "Weight is {kg} kg; renal function from {month} was normal.",
    "The {joint} was held in {deg} degrees of flexion at rest.",
    "Oxygen saturation stayed between {sat} and 100 percent on room air.",
    "She uses {device} and reports {n} falls in the past {month2} months.",
    "Sedation was limited to {mg} mg of oral diazepam given {min} minutes before arrival.",
    "The case lasted about {min} minutes from time-out to dressing.",
    "Sensation to light touch was intact over the {joint} and distal limb.",
    "Tone was rated {n} on the Tardieu scale at the {joint} at fast stretch.",
    "Current pain medications are {med} and acetaminophen as needed.",
    "Strength in the {joint} muscles was {n}/5 before the injection.",
]
_SLOTS = dict(
    bp=range(104, 162), dbp=range(60, 95), hr=range(56, 104), n=range(1, 9), m=range(4, 10), deg=range(10, 120, 5),
    joint=["elbow", "wrist", "knee", "ankle", "hip", "shoulder", "groin", "thigh", "forearm"], g=[20, 22, 25, 27],
    len=[50, 75, 100, 150], kg=range(48, 121), month=["January", "March", "June", "September", "last month"],
    sat=range(92, 99), device=["a walker", "a cane", "a wheelchair", "an ankle-foot orthosis"], month2=range(2, 13),
    mg=[2, 5, 10], min=range(10, 60, 5), med=["tramadol", "duloxetine", "pregabalin", "oxycodone", "baclofen"],
)


def _filler(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.12:  # negated, historical and planned mentions of the elements
        return rng.choice(_NEGATED + _HISTORY + _PLAN)
    if r < 0.55:
        return rng.choice(_FILLER)
    t = rng.choice(_SLOTTED)
    return t.format(**{k: rng.choice(v) for k, v in _SLOTS.items() if "{" + k + "}" in t})


def _pad(sentences: list[str], rng: random.Random, budget: int) -> list[str]:
    """Filler sentences mixed in until ``budget`` more words."""
    sentences = list(sentences)
    while budget > 0:
        s = _filler(rng)
        sentences.insert(rng.randint(0, len(sentences)), s)
        budget -= _words(s)
    return sentences


def _core(f: dict, rng: random.Random) -> dict[str, list[str]]:
    side_txt = "" if f["side"] == "midline" else f"{f['side']} "
    proc = []
    if f["kind"] == "toxin":
        proc.append(f"Chemodenervation of the {side_txt}{'upper' if f['upper'] else 'lower'} extremity was performed with {f['agent']}.")
        proc.append(f"Muscles and doses: {f['action']}, for {f['amount']}.")
    else:
        proc.append(f"The {side_txt}{f['target']} was treated with {f['action']}.")
        if f["amount"] and "mL of" in f["amount"]:
            proc.append(f"Before lesioning, {f['amount']} was placed at each level.")
    if f["imaging"]:
        proc.insert(rng.randint(0, len(proc)), f"Localization was done under {f['imaging']}.")
    elif rng.random() < 0.5:
        proc.append("The procedure was done by surface landmarks; no fluoroscopy or ultrasound was used.")
    proc += f["confirm"]
    consent = {"ok": [rng.choice(_CONSENT_OK)], "bad": [rng.choice(_CONSENT_BAD)], "placeholder": [], "missing": []}[f["consent"]]
    return {
        "indication": [f"The patient is referred for {f['indication']}."],
        "consent": consent,
        "procedure": proc,
        "response": [rng.choice(_RESPONSE)],
        "follow_up": [rng.choice(_FOLLOW)],
    }


def _ids(rng: random.Random) -> tuple[str, str, str]:
    """A record number, a date of service and a time: unique tokens, as in real notes."""
    mrn = f"{rng.randrange(10**7, 10**8)}"
    day = f"{rng.randint(2019, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return mrn, day, f"{rng.randint(7, 17)}:{rng.choice(['00', '15', '30', '45'])}"


def _prose(f: dict, rng: random.Random, target_words: int) -> str:
    mrn, day, at = _ids(rng)
    core = _core(f, rng)
    core["indication"].insert(0, f"Seen on {day} at {at}, record {mrn}.")
    paras = [core["indication"] + core["consent"], core["procedure"], core["response"] + core["follow_up"]]
    used = sum(_words(s) for p in paras for s in p)
    budget = max(0, target_words - used - 12)
    shares = [budget // 3, budget - 2 * (budget // 3), budget // 3]
    paras = [_pad(p, rng, b) for p, b in zip(paras, shares)]
    text = "\n\n".join(" ".join(p) for p in paras)
    if f["codes_in_text"]:
        text += f"\n\nCPT: {_claim(f, rng)}"
    return text


_HEADERS = {
    "indication": ["INDICATION", "PREOPERATIVE DIAGNOSIS", "Reason for procedure"],
    "consent": ["CONSENT", "INFORMED CONSENT"],
    "procedure": ["PROCEDURE", "DESCRIPTION OF PROCEDURE", "PROCEDURE IN DETAIL", "Technique"],
    "history": ["HISTORY OF PRESENT ILLNESS", "HPI", "Interval history"],
    "response": ["COMPLICATIONS", "OUTCOME"],
    "follow_up": ["DISPOSITION", "FOLLOW-UP", "Plan"],
}


def _template(f: dict, rng: random.Random, target_words: int, joined: bool) -> str:
    core = _core(f, rng)
    side = {"left": "Left", "right": "Right", "bilateral": "Bilateral", "midline": "N/A"}[f["side"]]
    fields = [("Target", f["target"]), ("Side", side), ("Agent", f["agent"])]
    if f["amount"]:
        fields.append(("Volume", f["amount"]))
    elif rng.random() < 0.3:
        fields.append(("Volume", "___ mL"))
    fields.append(("Guidance", f["imaging"] or rng.choice(["none", "N/A", "landmark"])))
    if f["consent"] == "placeholder":
        fields.append(("Consent", rng.choice(["[ ]", "___", ""])))
    rng.shuffle(fields)
    blocks = [(rng.choice(_HEADERS["history"]), [rng.choice(_HISTORY)]),
              (rng.choice(_HEADERS["indication"]), core["indication"])]
    if core["consent"]:
        blocks.append((rng.choice(_HEADERS["consent"]), core["consent"]))
    blocks.append((rng.choice(_HEADERS["procedure"]), core["procedure"]))
    blocks.append((rng.choice(_HEADERS["response"]), core["response"]))
    blocks.append((rng.choice(_HEADERS["follow_up"]), core["follow_up"]))
    used = sum(_words(s) for _, ss in blocks for s in ss) + 3 * len(fields) + 2 * len(blocks)
    budget = max(0, target_words - used)
    i = next(k for k, (h, _) in enumerate(blocks) if h in _HEADERS["procedure"])
    blocks[i] = (blocks[i][0], _pad(blocks[i][1], rng, budget * 2 // 3))
    blocks[0] = (blocks[0][0], _pad(blocks[0][1], rng, budget // 3))
    mrn, day, at = _ids(rng)
    lines = [f"MRN: {mrn}", f"Date of service: {day} {at}"] + [f"{k}: {v}" for k, v in fields]
    if f["codes_in_text"]:
        lines.append(f"Procedure codes: {_claim(f, rng)}")
    if joined:  # an export whose line breaks became commas: "HEADER: , Text.,NEXT:"
        parts = [f"{h.upper()}: , {' '.join(ss)}" for h, ss in blocks]
        return ",".join(parts[:2] + lines + parts[2:])
    body = "\n".join(lines) + "\n\n" + "\n\n".join(f"{h.upper() if rng.random() < 0.7 else h}:\n{' '.join(ss)}" for h, ss in blocks)
    return body


def generate(n: int, seed: int = 7, min_words: int = 100, max_words: int = 800) -> Iterator[dict]:
    """``n`` notes, the same for the same arguments. Each is ``{id, text, codes, style, words}``;
    ``codes`` is the claim for an export column, or None when the note lists its codes itself."""
    rng = random.Random(seed)
    for i in range(n):
        f = _procedure(rng)
        target = rng.randint(min_words, max_words)
        r = rng.random()
        style = "prose" if r < 0.45 else "template" if r < 0.85 else "joined"
        text = _prose(f, rng, target) if style == "prose" else _template(f, rng, target, joined=style == "joined")
        yield {"id": f"syn{seed}-{i:07d}", "text": text, "codes": None if f["codes_in_text"] else _claim(f, rng),
               "style": style, "words": _words(text)}


def note_of_words(words: int, seed: int = 11) -> str:
    """One template-style note padded to about ``words`` words (for single-note latency)."""
    rng = random.Random(seed)
    return _template(_procedure(rng), rng, words, joined=False)


def load_real_notes(folder: Path = REALNOTES) -> list[dict]:
    """The real notes (one .txt per note), or [] when the folder is not there."""
    if not folder.is_dir():
        return []
    out = []
    for p in sorted(folder.glob("*.txt")):
        text = p.read_text(encoding="utf-8", errors="replace")
        out.append({"id": p.stem, "text": text, "codes": None, "style": "real", "words": _words(text)})
    return out


def write_jsonl(path: Path, n: int, seed: int = 7, min_words: int = 100, max_words: int = 800) -> int:
    """Stream ``n`` generated notes to a JSONL export (id, text, codes); returns bytes written."""
    size = 0
    with open(path, "w", encoding="utf-8") as fh:
        for note in generate(n, seed, min_words, max_words):
            line = json.dumps({"id": note["id"], "text": note["text"], "codes": note["codes"]}) + "\n"
            fh.write(line)
            size += len(line)
    return size


if __name__ == "__main__":  # print a few samples: python bench/notes.py [n]
    import sys

    for note in generate(int(sys.argv[1]) if len(sys.argv) > 1 else 3):
        print(f"--- {note['id']} {note['style']} {note['words']} words codes={note['codes']}\n{note['text']}\n")
