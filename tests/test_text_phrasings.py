"""Families of phrasing that phones, carers and clinics use (issue 26), each in many wordings:
the reading each sentence must give, written by hand from the findings contract
(docs/contract.md), never from the reader's output.

Each row is (text, expected, absent): ``expected`` findings must be read with those values,
``absent`` findings must not be read at all.
"""

from __future__ import annotations

import pytest

from backclf.text.extract import extract_findings

Row = tuple[str, dict, tuple[str, ...]]


def _check(text: str, expected: dict, absent: tuple[str, ...]) -> None:
    found = extract_findings(text).findings
    for finding, value in expected.items():
        assert found.get(finding) == value, (finding, found)
    for finding in absent:
        assert finding not in found, (finding, found)


def _ids(rows: list[Row]) -> list[str]:
    return [text[:40] for text, _, _ in rows]


# 1. Fainting or collapse in lay words: the contract's fainting_or_collapse.
FAINTING: list[Row] = [
    (
        "I feinted in the kitchen this morning and my back is killing me",
        {"fainting_or_collapse": True},
        (),
    ),
    ("feinted twice today, back pain on the left", {"fainting_or_collapse": True}, ()),
    ("I fainted when I stood up from the sofa", {"fainting_or_collapse": True}, ()),
    ("Passed out in the shower last night", {"fainting_or_collapse": True}, ()),
    ("I blacked out on the stairs", {"fainting_or_collapse": True}, ()),
    ("was out for 30 sec then came round on the floor", {"fainting_or_collapse": True}, ()),
    ("I was out for about a minute, my wife said", {"fainting_or_collapse": True}, ()),
    ("I was out cold for a few seconds", {"fainting_or_collapse": True}, ()),
    ("got knocked out for a minute when I hit the floor", {"fainting_or_collapse": True}, ()),
    ("I was out for thirty seconds", {"fainting_or_collapse": True}, ()),
    ("She collapsed at home this afternoon", {"fainting_or_collapse": True}, ()),
    ("I collapsed in the garden", {"fainting_or_collapse": True}, ()),
    ("no fainting, no collapse", {"fainting_or_collapse": False}, ()),
    ("I didn't pass out", {"fainting_or_collapse": False}, ()),
    # going out is not being out cold
    ("I was out for 20 minutes walking the dog when my back went", {}, ("fainting_or_collapse",)),
    ("I went out for a minute to the shop", {}, ("fainting_or_collapse",)),
]


@pytest.mark.parametrize(("text", "expected", "absent"), FAINTING, ids=_ids(FAINTING))
def test_fainting_in_lay_words(text, expected, absent):
    _check(text, expected, absent)


# 2. Drowsy, confused, off fluids, with a tender loin: confusion, unable_to_keep_fluids_down,
# flank_tenderness (the contract's kidney tenderness and systemic findings).
SYSTEMIC: list[Row] = [
    (
        "Mum is drowsy and off her fluids, loin tender on the right",
        {"confusion": True, "unable_to_keep_fluids_down": True, "flank_tenderness": True},
        (),
    ),
    (
        "very drowsy, not drinking, sore over the kidney",
        {"confusion": True, "unable_to_keep_fluids_down": True, "flank_tenderness": True},
        (),
    ),
    ("tender flank on the right side", {"flank_tenderness": True}, ()),
    ("my left flank is tender", {"flank_tenderness": True}, ()),
    ("right loin tender", {"flank_tenderness": True}, ()),
    ("it's tender over my left kidney", {"flank_tenderness": True}, ()),
    ("sore to the touch over the right loin", {"flank_tenderness": True}, ()),
    (
        "he is confused and not drinking",
        {"confusion": True, "unable_to_keep_fluids_down": True},
        (),
    ),
    ("Dad has been off fluids since yesterday", {"unable_to_keep_fluids_down": True}, ()),
    (
        "she's refusing drinks and really sleepy",
        {"unable_to_keep_fluids_down": True, "confusion": True},
        (),
    ),
    (
        "he's very dozy today and hardly drinking",
        {"confusion": True, "unable_to_keep_fluids_down": True},
        (),
    ),
    ("not eating or drinking since Sunday", {"unable_to_keep_fluids_down": True}, ()),
    # drinking alcohol is not drinking fluids
    ("I'm not drinking alcohol at the moment", {}, ("unable_to_keep_fluids_down",)),
    ("drinking fine, eating fine", {"unable_to_keep_fluids_down": False}, ()),
]


@pytest.mark.parametrize(("text", "expected", "absent"), SYSTEMIC, ids=_ids(SYSTEMIC))
def test_drowsy_off_fluids_and_a_tender_loin(text, expected, absent):
    _check(text, expected, absent)


# 3. An age given by a parent or carer: the patient's age, not the writer's.
AGES: list[Row] = [
    (
        "My 14-year-old has hurt his back at football and can't bend.",
        {"age": 14, "sex": "male"},
        (),
    ),
    ("my 14 year old hurt her back trampolining", {"age": 14, "sex": "female"}, ()),
    ("My son (14) hurt his back lifting weights.", {"age": 14, "sex": "male"}, ()),
    ("My mum who is 82 fell on Monday and her back is agony.", {"age": 82, "sex": "female"}, ()),
    ("my mum who is eighty two has bad back pain", {"age": 82, "sex": "female"}, ()),
    ("my dad, who's 79, has back pain and a fever", {"age": 79, "sex": "male"}, ()),
    ("my daughter who's 15 has a sore back", {"age": 15, "sex": "female"}, ()),
    ("my 15 yo daughter has back pain since a fall", {"age": 15, "sex": "female"}, ()),
    ("My 15yo daughter has had back pain for a week", {"age": 15, "sex": "female"}, ()),
    ("my 15 y/o daughter has back pain", {"age": 15, "sex": "female"}, ()),
    ("My 9 year old has a fever and back pain", {"age": 9}, ()),
    (
        "I'm writing about my husband who is 60. His back went yesterday.",
        {"age": 60, "sex": "male"},
        (),
    ),
    ("I'm 45. My 14-year-old son has back pain.", {"age": 14, "sex": "male"}, ()),
    # the writer's own back: a child's age is not the writer's
    ("My 2 year old jumped on me and now my back is killing me. I'm 34.", {"age": 34}, ()),
    ("I picked up my 2 year old and my back went", {}, ("age",)),
]


@pytest.mark.parametrize(("text", "expected", "absent"), AGES, ids=_ids(AGES))
def test_an_age_given_by_a_parent_or_carer(text, expected, absent):
    _check(text, expected, absent)


# 4. Leg weakness in functional words; both legs (bilateral_leg_weakness) or one.
LEGS: list[Row] = [
    ("my legs keep giving way", {"leg_weakness": True, "bilateral_leg_weakness": True}, ()),
    ("my left leg keeps giving way under me", {"leg_weakness": True}, ("bilateral_leg_weakness",)),
    ("I can't lift my foot properly", {"leg_weakness": True}, ("bilateral_leg_weakness",)),
    ("my right foot slaps when I walk", {"leg_weakness": True}, ("bilateral_leg_weakness",)),
    ("my foot flops down when I walk", {"leg_weakness": True}, ("bilateral_leg_weakness",)),
    ("both feet slap on the floor now", {"leg_weakness": True, "bilateral_leg_weakness": True}, ()),
    (
        "legs like jelly since this morning",
        {"leg_weakness": True, "bilateral_leg_weakness": True},
        (),
    ),
    ("my legs feel like jelly", {"leg_weakness": True, "bilateral_leg_weakness": True}, ()),
    ("I can't stand on tiptoe on the right", {"leg_weakness": True}, ("bilateral_leg_weakness",)),
    (
        "can't go up on my toes on the left side",
        {"leg_weakness": True},
        ("bilateral_leg_weakness",),
    ),
    ("can't walk on my heels", {"leg_weakness": True}, ()),
    (
        "can't stand on tiptoes on either foot",
        {"leg_weakness": True, "bilateral_leg_weakness": True},
        (),
    ),
    ("can't lift either foot", {"leg_weakness": True, "bilateral_leg_weakness": True}, ()),
    # pain that stops a movement is not weakness; an idiom is not a foot
    ("it hurts to lift my foot onto the step", {}, ("leg_weakness", "bilateral_leg_weakness")),
    ("I can stand on tiptoe fine", {}, ("leg_weakness",)),
]


@pytest.mark.parametrize(("text", "expected", "absent"), LEGS, ids=_ids(LEGS))
def test_leg_weakness_in_functional_words(text, expected, absent):
    _check(text, expected, absent)


# 5. Trauma in slang: major_trauma for a crash or a fall from height; a fall from a chair or a
# bed is a minor fall (trigger minor_fall_or_bump), not major trauma.
TRAUMA: list[Row] = [
    ("laid my motorcycle down on the motorway on Friday", {"major_trauma": True}, ()),
    ("I laid it down at 40 mph on a wet corner", {"major_trauma": True}, ()),
    ("laid the bike down last week", {"major_trauma": True}, ()),
    ("came off my bike at speed", {"major_trauma": True}, ()),
    ("came off my pushbike on the way to work", {"major_trauma": True}, ()),
    ("came a cropper on my motorbike", {"major_trauma": True}, ()),
    ("went over the handlebars", {"major_trauma": True}, ()),
    ("got rear-ended at the lights yesterday", {"major_trauma": True}, ()),
    ("a van drove into the back of me on the A1", {"major_trauma": True}, ()),
    ("fell off a ladder cleaning the gutters", {"major_trauma": True}, ("trigger",)),
    ("I fell off the ladder", {"major_trauma": True}, ("trigger",)),
    ("fell from the roof of the shed", {"major_trauma": True}, ()),
    ("fell off my horse on Sunday", {"major_trauma": True}, ()),
    ("I fell off a chair", {"trigger": "minor_fall_or_bump"}, ("major_trauma",)),
    ("fell off the bed", {"trigger": "minor_fall_or_bump"}, ("major_trauma",)),
    ("fell over my bike in the hall", {"trigger": "minor_fall_or_bump"}, ("major_trauma",)),
    ("I picked the box up and laid it down, then my back went", {}, ("major_trauma",)),
]


@pytest.mark.parametrize(("text", "expected", "absent"), TRAUMA, ids=_ids(TRAUMA))
def test_trauma_in_slang(text, expected, absent):
    _check(text, expected, absent)


# 6. Pain scores and durations in informal writing.
NUMBERS: list[Row] = [
    ("pain is 9 outta 10", {"pain_severity": 9}, ()),
    ("it's a 9/10 today", {"pain_severity": 9}, ()),
    ("like 8 out of ten", {"pain_severity": 8}, ()),
    ("8 outta ten pain", {"pain_severity": 8}, ()),
    ("an 8 outta 10 when I move", {"pain_severity": 8}, ()),
    ("pain level 8", {"pain_severity": 8}, ()),
    ("solid 8 pain", {"pain_severity": 8}, ()),
    ("back went 10 days ago", {"days_since_onset": 10.0}, ()),
    ("sore since last tuesday", {"days_since_onset": 7.0}, ()),
    ("it started last Friday", {"days_since_onset": 7.0}, ()),
    ("for a fortnight now", {"days_since_onset": 14.0}, ()),
    ("for the past fortnight", {"days_since_onset": 14.0}, ()),
    ("a couple of weeks", {"days_since_onset": 14.0}, ()),
    ("back's been sore couple weeks", {"days_since_onset": 14.0}, ()),
    ("for a couple days", {"days_since_onset": 2.0}, ()),
    # "since Monday" (this week) gives no count, as the written rounds label it
    ("sore since Monday", {}, ("days_since_onset",)),
]


@pytest.mark.parametrize(("text", "expected", "absent"), NUMBERS, ids=_ids(NUMBERS))
def test_pain_scores_and_durations_as_written(text, expected, absent):
    _check(text, expected, absent)


# 7. Incontinence paraphrased: bladder_or_bowel_control_loss.
BLADDER: list[Row] = [
    ("I wet myself last night", {"bladder_or_bowel_control_loss": True}, ()),
    (
        "I had an accident this morning and didn't notice",
        {"bladder_or_bowel_control_loss": True},
        (),
    ),
    ("had an accident in bed", {"bladder_or_bowel_control_loss": True}, ()),
    (
        "I've had a couple of accidents since my back went",
        {"bladder_or_bowel_control_loss": True},
        (),
    ),
    ("I've been leaking since yesterday", {"bladder_or_bowel_control_loss": True}, ()),
    ("leaking a bit of wee", {"bladder_or_bowel_control_loss": True}, ()),
    ("I couldn't hold it", {"bladder_or_bowel_control_loss": True}, ()),
    ("couldn't make it to the loo", {"bladder_or_bowel_control_loss": True}, ()),
    ("I messed myself", {"bladder_or_bowel_control_loss": True}, ()),
    ("I didn't feel myself pee", {"bladder_or_bowel_control_loss": True}, ()),
    ("didn't realise I'd peed", {"bladder_or_bowel_control_loss": True}, ()),
    # an accident of another kind, a leak of another thing
    ("had an accident at work", {}, ("bladder_or_bowel_control_loss",)),
    ("the roof is leaking again", {}, ("bladder_or_bowel_control_loss",)),
    ("had a car accident", {"major_trauma": True}, ("bladder_or_bowel_control_loss",)),
]


@pytest.mark.parametrize(("text", "expected", "absent"), BLADDER, ids=_ids(BLADDER))
def test_incontinence_paraphrased(text, expected, absent):
    _check(text, expected, absent)


# 8. Passing water normally is no urinary symptom: never frequent or painful urination.
NORMAL_PEE: list[Row] = [
    ("I pee normally", {}, ()),
    ("pees normally, no burning", {"painful_urination": False}, ()),
    ("peeing fine", {}, ()),
    ("wee is normal", {}, ()),
    ("my wee is normal, back is killing me", {}, ()),
    ("going to the loo normally", {}, ()),
    ("pee normally and it doesn't hurt", {"painful_urination": False}, ()),
    ("peeing normal, no fever", {"fever": False}, ()),
    ("I don't have fever and my pee is normal colour", {"fever": False}, ()),
]


@pytest.mark.parametrize(("text", "expected", "absent"), NORMAL_PEE, ids=_ids(NORMAL_PEE))
def test_passing_water_normally_is_no_urinary_symptom(text, expected, absent):
    found = extract_findings(text).findings
    _check(text, expected, absent)
    for finding in ("frequent_urination", "painful_urination", "bladder_or_bowel_control_loss"):
        assert found.get(finding) is not True, (finding, found)
