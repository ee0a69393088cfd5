"""Families of phrasing a blind round of written messages showed the reader missing (round 7
of the phrasing work): the reading each sentence must give, written by hand from the findings
contract (docs/contract.md), never from the reader's output. The sentences are the team's own
paraphrases of each family, with near misses that must not fire.

Each row is (text, expected, absent): ``expected`` findings must be read with those values,
``absent`` findings must not be read at all.
"""

from __future__ import annotations

import pytest
from test_text_phrasings import Row, _check, _ids

RETAINED = {"bladder_or_bowel_control_loss": True}


# A. Urinary retention in lay words: "new trouble passing urine" is the contract's
# bladder_or_bowel_control_loss.
RETENTION: list[Row] = [
    ("My back is killing me and I haven't had a wee since last night", RETAINED, ()),
    ("lower back pain, not had a pee since this morning", RETAINED, ()),
    ("Back's bad. Haven't been able to wee all day.", RETAINED, ()),
    ("I need to go but nothing comes out", RETAINED, ()),
    ("keep feeling I need to pee but nothing will come out", RETAINED, ()),
    ("I sat on the toilet for ages and nothing", RETAINED, ()),
    ("Went to the loo three times and still nothing happened", RETAINED, ()),
    ("my back hurts and I can't go for a wee", RETAINED, ()),
    ("he can't pass water and his back is sore", RETAINED, ()),
    ("My bladder feels full but I can't empty it", RETAINED, ()),
    ("bladder is full but nothing is coming out", RETAINED, ()),
    # near misses: peeing normally, or "nothing" about something else
    ("my back hurts, nothing wrong with my wee", {}, ("bladder_or_bowel_control_loss",)),
    (
        "Back pain. Weeing normally, nothing else to report.",
        {
            "bladder_or_bowel_control_loss": False,
        },
        (),
    ),
    ("back pain; I tried ibuprofen and nothing happened", {}, ("bladder_or_bowel_control_loss",)),
    ("my wee is fine and nothing else is wrong", {"bladder_or_bowel_control_loss": False}, ()),
    ("I went to the toilet and nothing unusual", {}, ("bladder_or_bowel_control_loss",)),
    ("I didn't know I had to pee so often", {}, ("bladder_or_bowel_control_loss",)),
]


@pytest.mark.parametrize(("text", "expected", "absent"), RETENTION, ids=_ids(RETENTION))
def test_urinary_retention_in_lay_words(text, expected, absent):
    _check(text, expected, absent)


# B. Incontinence the person did not notice (ces_card: "leaking urine", "not knowing when the
# bladder is full or empty").
UNNOTICED: list[Row] = [
    ("My trousers were soaked and I didn't feel it happen", RETAINED, ()),
    ("I found my pants wet this morning and my back is agony", RETAINED, ()),
    ("I didn't realise I'd wet myself until I stood up", RETAINED, ()),
    ("didn't notice I'd wet myself at all", RETAINED, ()),
    ("I leaked without knowing, back pain since Monday", RETAINED, ()),
    ("woke up wet and had no idea I had peed", RETAINED, ()),
    ("my jeans were damp and I didn't feel anything", RETAINED, ()),
    # near misses: a wet day, a leaking tap, a felt trip to the loo
    (
        "I got soaked walking the dog in the rain and my back hurts",
        {},
        ("bladder_or_bowel_control_loss",),
    ),
    (
        "the tap was leaking so I bent under the sink and my back went",
        {},
        ("bladder_or_bowel_control_loss",),
    ),
]


@pytest.mark.parametrize(("text", "expected", "absent"), UNNOTICED, ids=_ids(UNNOTICED))
def test_incontinence_the_person_did_not_notice(text, expected, absent):
    _check(text, expected, absent)


# C. Saddle numbness in lay words (ces_card, nhs_msk_self_referral).
SADDLE: list[Row] = [
    ("My bottom feels like it's gone to sleep", {"saddle_numbness": True}, ()),
    ("my bum has gone to sleep and won't wake up", {"saddle_numbness": True}, ()),
    ("I can't feel it when I wipe", {"saddle_numbness": True}, ()),
    ("Can't feel the toilet paper properly", {"saddle_numbness": True}, ()),
    ("my inner thighs near the groin are less sensitive", {"saddle_numbness": True}, ()),
    ("it feels different down there since yesterday", {"saddle_numbness": True}, ()),
    ("numb where I'd sit on a bike saddle", {"saddle_numbness": True}, ()),
    ("It's numb where you would sit on a bike saddle", {"saddle_numbness": True}, ()),
    # near misses: a foot gone to sleep, a sleepy person, a sore bottom
    ("my foot went to sleep on the sofa", {}, ("saddle_numbness",)),
    ("I went to sleep early, back still sore", {}, ("saddle_numbness",)),
    ("my bottom is sore from sitting", {}, ("saddle_numbness",)),
]


@pytest.mark.parametrize(("text", "expected", "absent"), SADDLE, ids=_ids(SADDLE))
def test_saddle_numbness_in_lay_words(text, expected, absent):
    _check(text, expected, absent)


# D. Whose age: the person described's, never someone else's; unsure attribution: unset.
AGES: list[Row] = [
    ("My son, he's 14, has hurt his back", {"age": 14}, ()),
    ("My 14 year old has back pain after rugby", {"age": 14}, ()),
    ("Jo (41) has had back pain for a week", {"age": 41}, ()),
    ("My husband (39) did his back in lifting", {"age": 39, "sex": "male"}, ()),
    ("My daughter Amy (16) hurt her back at netball", {"age": 16, "sex": "female"}, ()),
    ("HPC: 9M with low back pain for 3 days", {"age": 9, "sex": "male"}, ()),
    ("9 yo M, back pain after trampolining", {"age": 9, "sex": "male"}, ()),
    ("9/M lower back pain 2/7", {"age": 9, "sex": "male"}, ()),
    ("42F low back pain two weeks", {"age": 42, "sex": "female"}, ()),
    # other people's ages never become the patient's
    ("Our toddler (2) has a cold; my husband has back pain", {"sex": "male"}, ("age",)),
    ("My husband has back pain. His dad had a slipped disc at 40.", {}, ("age",)),
    ("I'm 45 and writing about my partner who has back pain", {}, ("age",)),
    ("I hurt my back. My son Sam (9) helped me up.", {}, ("age",)),
    # a number in brackets after a word that names no one
    ("Pain (7) in my lower back", {}, ("age",)),
    # nine metres is not a nine-year-old
    ("I fell 9m off scaffolding", {}, ("age",)),
]


@pytest.mark.parametrize(("text", "expected", "absent"), AGES, ids=_ids(AGES))
def test_whose_age_it_is(text, expected, absent):
    _check(text, expected, absent)


# E. Whose finding: another person's symptom is not the patient's.
OTHERS: list[Row] = [
    (
        "Our toddler has had a temperature this week, not him. My husband's back hurts.",
        {"sex": "male"},
        ("fever", "temperature_c"),
    ),
    (
        "My wife's back went yesterday. My own back is agony from helping her up.",
        {"sex": "female"},
        ("pain_severity",),
    ),
    (
        "Our daughter had a fever last week; my back is sore after lifting her.",
        {},
        ("fever",),
    ),
]


@pytest.mark.parametrize(("text", "expected", "absent"), OTHERS, ids=_ids(OTHERS))
def test_someone_elses_symptom_is_theirs(text, expected, absent):
    _check(text, expected, absent)


# F. Immunosuppression vocabulary: the contract's "transplant drugs, chemotherapy, other immune
# suppression". Steroid tablets stay their own finding (osteoporosis_or_steroid_use).
IMMUNE = {"immunosuppressed": True}
IMMUNE_ROWS: list[Row] = [
    ("I had a kidney transplant in 2012, back pain now", IMMUNE, ()),
    ("liver transplant patient with new back pain", IMMUNE, ()),
    ("I'm on tacrolimus and my back has been agony", IMMUNE, ()),
    ("takes ciclosporin and mycophenolate", IMMUNE, ()),
    ("on azathioprine for crohn's", IMMUNE, ()),
    ("I inject methotrexate every week for my arthritis", IMMUNE, ()),
    ("I'm on Humira for my psoriasis", IMMUNE, ()),
    ("has adalimumab injections every fortnight", IMMUNE, ()),
    ("gets infliximab infusions for colitis", IMMUNE, ()),
    ("I take etanercept", IMMUNE, ()),
    ("I'm on chemo at the moment", IMMUNE, ()),
    # steroid tablets are the steroid finding, not this one
    (
        "I've been on prednisolone tablets for two years",
        {"osteoporosis_or_steroid_use": True},
        ("immunosuppressed",),
    ),
    # near misses
    ("my mum is on Humira, I hurt my back lifting", {}, ("immunosuppressed",)),
    ("I'm not on any immune-lowering drugs", {"immunosuppressed": False}, ()),
]


@pytest.mark.parametrize(("text", "expected", "absent"), IMMUNE_ROWS, ids=_ids(IMMUNE_ROWS))
def test_immunosuppressive_drugs_and_transplants(text, expected, absent):
    _check(text, expected, absent)


# G. Severity from behaviour: restless with pain, writhing, unable to lie still or get
# comfortable (renal colic's restlessness, RCEM Learning): severe, the band's lowest score (7,
# serlin_1995; the mapping is an assumption).
SEVERE = {"pain_severity": 7}
BEHAVIOUR: list[Row] = [
    ("I'm rolling around the floor with it", SEVERE, ()),
    ("he's been rolling about on the floor in agony", SEVERE, ()),
    ("I can't get comfy whatever I do", SEVERE, ()),
    ("can't get comfortable, sitting or lying", SEVERE, ()),
    ("writhing with the pain in my side", SEVERE, ()),
    ("I can't keep still with it", SEVERE, ()),
    ("she's pacing the room holding her back", SEVERE, ()),
    ("pacing up and down the kitchen all night", SEVERE, ()),
    # a number the writer gives wins
    ("can't get comfy but it's only a 4/10", {"pain_severity": 4}, ()),
    # near misses: pacing oneself, a child rolling about, a comfortable chair
    ("I'm pacing myself with the gardening", {}, ("pain_severity",)),
    ("I can get comfortable lying on my side", {}, ("pain_severity",)),
    (
        "the kids were rolling around on the floor laughing and I bent to pick one up",
        {},
        ("pain_severity",),
    ),
]


@pytest.mark.parametrize(("text", "expected", "absent"), BEHAVIOUR, ids=_ids(BEHAVIOUR))
def test_severity_from_behaviour(text, expected, absent):
    _check(text, expected, absent)


# H. A temperature written like an age: a number with one decimal, 35-42.5, after "I'm" or
# before "today"/"now"; a whole number stays an age.
FEVERISH = {"temperature_c": 38.4, "fever": True}
TEMPERATURES: list[Row] = [
    ("back pain and today I'm 38.4", FEVERISH, ("age",)),
    ("I'm 38.4 now and shivery", FEVERISH, ("age",)),
    ("back hurts, 38.4 today", FEVERISH, ()),
    ("I am 39.1 and my back is agony", {"temperature_c": 39.1, "fever": True}, ("age",)),
    ("temp 101.3 this morning", {"temperature_c": 38.5, "fever": True}, ()),
    # whole numbers, years and money
    ("I'm 38 and my back hurts", {"age": 38}, ("temperature_c",)),
    ("I'm 38.5 kg now after the illness", {}, ("temperature_c",)),
    ("paid 38.50 today for a back brace", {}, ("temperature_c",)),
    ("my back hurts, I'm 41.5 years old", {}, ("temperature_c",)),
]


@pytest.mark.parametrize(("text", "expected", "absent"), TEMPERATURES, ids=_ids(TEMPERATURES))
def test_a_temperature_written_like_an_age(text, expected, absent):
    _check(text, expected, absent)


# I. New erection or ejaculation problems in euphemisms (numbness of the genitals is
# saddle_numbness, docs/contract.md).
SEXUAL = {"new_sexual_dysfunction": True}
EUPHEMISMS: list[Row] = [
    ("things haven't been working in the bedroom since my back went", SEXUAL, ()),
    ("nothing's working in the bedroom lately", SEXUAL, ()),
    ("I can't finish with my wife any more", SEXUAL, ()),
    ("can't get it up since the back pain started", SEXUAL, ()),
    ("I can't keep an erection", SEXUAL, ()),
    ("can't stay hard, which is new", SEXUAL, ()),
    # numbness in sex is saddle numbness, not this
    ("I can't feel anything during sex", {"saddle_numbness": True}, ()),
    # near misses: a work problem, a broken bedroom light
    ("I can't finish my shift because of my back", {}, ("new_sexual_dysfunction",)),
    ("the heating isn't working in the bedroom", {}, ("new_sexual_dysfunction",)),
]


@pytest.mark.parametrize(("text", "expected", "absent"), EUPHEMISMS, ids=_ids(EUPHEMISMS))
def test_new_sexual_dysfunction_in_euphemisms(text, expected, absent):
    _check(text, expected, absent)


# J. Stable old deficits are not new; an operation years ago is not recent; the reason for a
# past injection is not this episode's leg pain.
OLD: list[Row] = [
    (
        "my right foot's been a bit weak since my disc op in 2015 but that's the same as "
        "ever, nothing new",
        {},
        ("leg_weakness", "recent_spinal_procedure"),
    ),
    ("left leg has been weak for years since the accident, no change", {}, ("leg_weakness",)),
    ("I had back surgery in 2012, back pain since Tuesday", {}, ("recent_spinal_procedure",)),
    (
        "had an epidural steroid injection 3 weeks ago for sciatica",
        {"recent_spinal_procedure": True},
        ("radiating_leg_pain",),
    ),
    # but new weakness, a recent op, or leg pain now still count
    ("my right foot has gone weak this week", {"leg_weakness": True}, ()),
    (
        "my leg has been weak since my op but it has got much worse this week",
        {"leg_weakness": True},
        (),
    ),
    (
        "I had a disc op 6 weeks ago and now my foot is weak",
        {
            "recent_spinal_procedure": True,
            "leg_weakness": True,
        },
        (),
    ),
    (
        "had an epidural 3 weeks ago for sciatica and the pain is shooting down my left leg now",
        {"recent_spinal_procedure": True, "radiating_leg_pain": "one_leg"},
        (),
    ),
]


@pytest.mark.parametrize(("text", "expected", "absent"), OLD, ids=_ids(OLD))
def test_stable_old_deficits_are_not_new(text, expected, absent):
    _check(text, expected, absent)


# K. Cause-side misses: a heavy appliance carried, days of a sustained posture, durations in
# run-on text.
CAUSES: list[Row] = [
    (
        "carried a fridge freezer down the stairs and my back went",
        {
            "trigger": "lifting_heavy_object",
        },
        (),
    ),
    ("we moved the washing machine yesterday", {"trigger": "lifting_heavy_object"}, ()),
    (
        "days bent over laying blocks and now my back is killing me",
        {
            "trigger": "prolonged_posture",
        },
        (),
    ),
    ("been laying bricks all week and my back is stiff", {"trigger": "prolonged_posture"}, ()),
    ("bent over to pick up a sock and my back went", {"trigger": "bending_or_twisting"}, ()),
    (
        "back pain for about 6 weeks and its not getting better i work on a farm",
        {"days_since_onset": 42.0},
        (),
    ),
    (
        "my back has hurt for just over 3 weeks i dont know what i did",
        {"days_since_onset": 21.0},
        (),
    ),
    (
        "back pain since yesterday i was lifting at work and it went",
        {
            "days_since_onset": 1.0,
        },
        (),
    ),
]


@pytest.mark.parametrize(("text", "expected", "absent"), CAUSES, ids=_ids(CAUSES))
def test_causes_and_durations(text, expected, absent):
    _check(text, expected, absent)


# Still open from the previous blind round: both feet slapping, a fall off a ladder from a roof.
LEGS_AND_FALLS: list[Row] = [
    ("both my feet are slapping when I walk", {"bilateral_leg_weakness": True}, ()),
    ("my feet keep flopping when I walk", {"bilateral_leg_weakness": True}, ()),
    ("my right foot is slapping on the floor", {"leg_weakness": True}, ("bilateral_leg_weakness",)),
    ("fell off the ladder from the roof onto the patio", {"major_trauma": True}, ()),
    ("came off the ladder at the roof and landed on my back", {"major_trauma": True}, ()),
]


@pytest.mark.parametrize(("text", "expected", "absent"), LEGS_AND_FALLS, ids=_ids(LEGS_AND_FALLS))
def test_feet_slapping_and_falls_from_height(text, expected, absent):
    _check(text, expected, absent)
