"""Find a talking point's phrases in an answer and decide whether the answer affirms them.

A mention is *negated* when an odd number of negations cover it ("I wouldn't bother with a
pilot"; "I never start without a business case" has two, so it affirms), *listed* when it
stands in a bare list of terms with no sentence around it, and *affirmed* otherwise.

Negation scopes, decided once here:
- "not", "n't", "never", "skip", "ignore"... cover the rest of their clause, at most
  VERB_SCOPE tokens, and stop at a word that turns the sentence ("but", "until", "unless"...);
- "no", "without", "instead of", "rather than", "lack of" cover a noun phrase: at most
  NOUN_SCOPE tokens, and they also stop at a new subject ("instead of a pilot we ...");
- after a mention, a dismissal in the same clause ("... is overkill", "... wasn't needed").
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from bot.core.feedback.text import Token, irregular_verb

VERB_SCOPE: Final = 10
NOUN_SCOPE: Final = 6
# Words that may sit between a phrasal verb and its particle: "sign it off", "roll them back".
PARTICLE_GAP: Final = 3
PARTICLES: Final = frozenset("off over back up out down in on through away".split())

_VERB_NEGATORS: Final = frozenset(
    "not never cannot nor neither hardly barely seldom skip skipped skipping skips ignore ignored "
    "ignoring ignores forgo forwent forget forgot forgotten forgetting dont didnt wouldnt wont cant "
    "isnt wasnt doesnt shouldnt couldnt havent hadnt arent werent".split()
)
_NOUN_NEGATORS: Final = frozenset("no without nothing none nobody".split())
_NOUN_NEGATOR_PAIRS: Final = frozenset(
    {
        ("instead", "of"),
        ("rather", "than"),
        ("lack", "of"),
        ("leave", "out"),
        ("left", "out"),
        ("leaving", "out"),
        ("who", "needs"),
        ("who", "need"),
    }
    | {("little", worth) for worth in ("point", "value", "need", "sense", "use")}
)
_NEGATOR_WORDS: Final = {"than"} | (
    _VERB_NEGATORS | _NOUN_NEGATORS | {first for first, _ in _NOUN_NEGATOR_PAIRS} | {"lacked"}
)
# "not only", "no matter": these do not negate what follows.
_NOT_NEGATING_NEXT: Final = frozenset("only just least matter doubt later longer less more sooner".split())
_SCOPE_ENDS: Final = frozenset(
    "but however although though because so until unless before whereas while which then except yet "
    "instead after once otherwise".split()
)
_NOUN_SCOPE_ENDS: Final = frozenset("during in at on within around".split())
# "no point in", "no sense in": the noun phrase goes on past the preposition.
_WORTH: Final = frozenset("point sense value use interest".split())
_SUBORDINATORS: Final = frozenset(
    "if when whenever unless because although though while once since as".split()
)
SUBJECTS: Final = frozenset(
    "i we they he she you i'd we'd they'd i'll we'll i've we've i'm we're they're".split()
)
_DISMISSALS: Final = frozenset(
    "overkill pointless unnecessary useless irrelevant nonsense waste bureaucracy optional paperwork "
    "overhead theatre theater overrated hassle distraction luxury redundant counterproductive vanity "
    "ticking formality".split()
)
# Judgements that dismiss only as the clause's last word: "threat modelling is quite theoretical"
# (but "theoretical work").
_JUDGEMENTS: Final = frozenset(
    "theoretical academic excessive unrealistic impractical confrontational".split()
)
# "retrospectives slow everything down": a harm verb right after the mention.
_HARMS_AFTER: Final = frozenset(
    "slow slows complicate complicates confuse confuses kill kills bog bogs drag drags".split()
)
# "change management is HR's problem": someone else's, so not the candidate's to do.
_SOMEONE_ELSES: Final = frozenset("problem job responsibility concern headache".split())
_NOT_OWNERS: Final = frozenset("it's that's there's let's what's he's she's who's here's".split())
_MODALS_OF_CHOICE: Final = frozenset("can could".split())
_PRAISE: Final = frozenset("good nice great fine".split())
# "estimates are padded, so I ignore them": a dismissive verb on a pronoun after "so".
_DISMISSIVE_VERBS: Final = frozenset(
    "skip skipped ignore ignored drop dropped scrap scrapped bin binned".split()
)
# "we never needed one", "I don't see it as a problem": a pronoun carries the topic on.
_BACK_REFERENCES: Final = frozenset("it one them any that those".split())
# "the pilot wasn't needed": a negation right after a mention, before one of these.
_NEEDED: Final = frozenset(
    "need needed necessary worth matter mattered important useful help work worked required relevant "
    "bother apply add".split()
)
# "a long discovery just delays everything": a mention that only does harm is dismissed.
_ONLY: Final = frozenset("just only merely".split())
_HARMS: Final = frozenset(
    "delay delays slow slows waste wastes turn turns confuse confuses complicate complicates "
    "drag drags annoy annoys frustrate frustrates distract distracts bog bogs gets get".split()
)
# "I'd leave risks out", "keep the sponsor out of it": left out, so not done.
_OMITTERS: Final = frozenset("leave leaves left leaving keep keeps kept keeping".split())
# "extra features are fine", "the retro can wait": acceptable as it is, so nothing to act on.
_BE: Final = frozenset("is are was were be".split())
_ACCEPTABLE: Final = frozenset("fine ok okay".split())
_POST_SCOPE: Final = 5
# A negation after these belongs to a relative or conditional clause: "moves that cannot ship".
_RELATIVES: Final = frozenset("that who what when if where whether".split())
# A mention this close to the start of its sentence is what the sentence is about.
TOPIC_WORDS: Final = 4

# Words that make a run of terms a sentence: a subject, an auxiliary or a modal.
_VERBISH: Final = SUBJECTS | frozenset(
    "is are was were be been being have has had do does did can could would should will must "
    "it's that's there's let's my our me us it them".split()
)
_ITEM_BREAK: Final = re.compile(r"[,:/•*+()&→]|\s-\s|^\s*-|\n")
_BULLET: Final = re.compile(r"\s*(?:[-•*+>]|\d{1,2}[.)])\s")
_CONJUNCTIONS: Final = frozenset({"and", "or"})
LIST_MIN_ITEMS: Final = 3
LIST_MAX_ITEM_WORDS: Final = 4
FRAGMENT_MAX_WORDS: Final = 4
BULLET_MAX_WORDS: Final = 6
# A sentence with a subject can still be a dump of terms: this many short bare items.
DUMP_MIN_ITEMS: Final = 5

Mention = Literal["affirmed", "listed", "negated"]


@dataclass(frozen=True, slots=True)
class Hit:
    """Where a phrase was found (token indices, inclusive) and how it was said."""

    first: int
    last: int
    mention: Mention


def index_keys(tokens: Sequence[Token]) -> dict[str, list[int]]:
    positions: dict[str, list[int]] = {}
    for i, token in enumerate(tokens):
        positions.setdefault(token.key, []).append(i)
    return positions


def find(tokens: Sequence[Token], positions: dict[str, list[int]], phrase: tuple[str, ...]) -> list[range]:
    """Every place the phrase occurs, as token ranges; particles may follow a short gap."""
    found: list[range] = []
    for start in positions.get(phrase[0], ()):
        at = start
        for part in phrase[1:]:
            nxt = at + 1
            if nxt < len(tokens) and tokens[nxt].key == part:
                at = nxt
                continue
            if part in PARTICLES:
                sentence = tokens[at].clause
                limit = min(len(tokens), at + 2 + PARTICLE_GAP)
                gap = next(
                    (
                        j
                        for j in range(nxt + 1, limit)
                        if tokens[j].key == part and tokens[j].clause == sentence
                    ),
                    None,
                )
                if gap is not None:
                    at = gap
                    continue
            break
        else:
            if tokens[at].sentence == tokens[start].sentence:
                found.append(range(start, at + 1))
    return found


def _is_negator(tokens: Sequence[Token], i: int) -> tuple[int, int] | None:
    """(first covered index, scope length) when tokens[i] negates what follows."""
    word = tokens[i].word
    following = tokens[i + 1].word if i + 1 < len(tokens) else ""
    if following in _NOT_NEGATING_NEXT or (word == "no" and following == "go"):  # "go/no-go"
        return None
    if word in _VERB_NEGATORS or word.endswith("n't"):
        return i + 1, VERB_SCOPE
    if word in _NOUN_NEGATORS:
        return i + 1, NOUN_SCOPE
    if (word, following) in _NOUN_NEGATOR_PAIRS:
        return i + 2, NOUN_SCOPE
    if word == "lacked":
        return i + 1, NOUN_SCOPE
    # "I'd rather trust my gut than run a pilot".
    if word == "than" and any(
        t.word == "rather" and t.sentence == tokens[i].sentence for t in tokens[max(0, i - 8) : i - 1]
    ):
        return i + 1, NOUN_SCOPE
    return None


def negation_marks(tokens: Sequence[Token], text: str = "") -> list[int]:
    """For each token, how many negations cover it (with `text`, also "X? Not really.")."""
    marks = [0] * len(tokens)
    if text:
        _deny_questions(text, tokens, marks)
    for i, candidate in enumerate(tokens):
        if candidate.word not in _NEGATOR_WORDS and not candidate.word.endswith("n't"):
            continue
        scope = _is_negator(tokens, i)
        if scope is None:
            continue
        first, length = scope
        clause = tokens[i].clause
        opener = next(t.word for t in tokens[: i + 1] if t.clause == clause)
        for j in range(first, min(len(tokens), first + length)):
            token = tokens[j]
            if token.word in _SCOPE_ENDS or token.segment != tokens[i].segment:
                break
            # A verb's negation runs on past a comma until a new subject takes over ("I wouldn't
            # bother mixing the two, hybrid contracts just confuse everyone"), but not out of
            # a subordinate clause ("if they want to skip it, use the exception route").
            if token.clause != clause and (
                length == NOUN_SCOPE
                or token.word in SUBJECTS
                or opener in _SUBORDINATORS
                or token.clause > clause + 1  # one comma at most
            ):
                break
            # "no finance systems during year-end": a place or time ends the noun phrase,
            # but "no point in a pilot" goes on.
            if length == NOUN_SCOPE and token.word in _NOUN_SCOPE_ENDS and tokens[j - 1].word not in _WORTH:
                break
            if length == NOUN_SCOPE and j > first and token.word in SUBJECTS:
                break
            marks[j] += 1
    return marks


# "Value stream mapping? Not really." A short question answered with a denial.
_DENIALS: Final = frozenset("nah nope never".split())
_NOT_REALLY: Final = frozenset("really much quite at so".split())
QUESTION_MAX_WORDS: Final = 8


def _deny_questions(text: str, tokens: Sequence[Token], marks: list[int]) -> None:
    start = 0
    for i in range(1, len(tokens) + 1):
        if i < len(tokens) and tokens[i].sentence == tokens[i - 1].sentence:
            continue
        after = text[tokens[i - 1].end : tokens[i].start if i < len(tokens) else len(text)]
        asked = "?" in after
        if asked and i < len(tokens) and i - start <= QUESTION_MAX_WORDS:
            following = tokens[i + 1].word if i + 1 < len(tokens) else ""
            if tokens[i].word in _DENIALS or (tokens[i].word == "not" and following in _NOT_REALLY):
                for j in range(start, i):
                    marks[j] += 1
        # "Why run a pilot when you can just go live?" A rhetorical question dismisses.
        if asked and tokens[start].word == "why":
            when = next((j for j in range(start + 1, i) if tokens[j].word == "when"), None)
            for k in range(start + 1, when or start):
                marks[k] += 1
        start = i


def _postponed(tokens: Sequence[Token], first: int, last: int) -> bool:
    """ "We can add training later": put off, in the mention's clause."""
    clause = tokens[first].clause
    start = first
    while start > 0 and tokens[start - 1].clause == clause:
        start -= 1
    end = last
    while end + 1 < len(tokens) and tokens[end + 1].clause == clause:
        end += 1
    return any(t.word == "later" for t in tokens[last + 1 : end + 1]) and any(
        t.word in _MODALS_OF_CHOICE for t in tokens[start : end + 1]
    )


def _dismissed_after(tokens: Sequence[Token], first: int, last: int) -> bool:
    if _postponed(tokens, first, last):
        return True
    clause = tokens[last].clause
    omitted = any(t.word in _OMITTERS and t.clause == clause for t in tokens[max(0, first - 3) : first])
    for j in range(last + 1, min(len(tokens), last + 1 + _POST_SCOPE)):
        token = tokens[j]
        if token.clause != clause or token.word in _SCOPE_ENDS:
            return False
        if token.word in _DISMISSALS:
            return True
        if token.word in _JUDGEMENTS and (j + 1 == len(tokens) or tokens[j + 1].clause != clause):
            return True
        following = tokens[j + 1].word if j + 1 < len(tokens) else ""
        if token.word in _ONLY and following in _HARMS:
            return True
        if j == last + 1 and token.word in _HARMS_AFTER:
            return True
        if token.word.endswith("'s") and token.word not in _NOT_OWNERS and following in _SOMEONE_ELSES:
            return True
        # "a pilot sounds good in theory", "... nice on paper": but not in practice.
        if (token.word, following) == ("in", "theory") or (
            (token.word, following) == ("on", "paper") and tokens[j - 1].word in _PRAISE
        ):
            return True
        if (
            token.word == "nice"
            and following == "to"
            and j + 2 < len(tokens)
            and tokens[j + 2].word == "have"
        ):
            return True
        if omitted and token.word == "out":
            return True
        if (token.word in _BE and following in _ACCEPTABLE) or (token.word == "can" and following == "wait"):
            return True
        if (token.word == "not" or token.word.endswith("n't")) and any(
            t.word in _NEEDED for t in tokens[j + 1 : j + 3]
        ):
            return True
    return False


def listed_tokens(text: str, tokens: Sequence[Token]) -> list[bool]:
    """Which tokens stand in a bare list of terms (no sentence around them)."""
    listed = [False] * len(tokens)
    segment: list[int] = []
    after_list = False
    for i, token in enumerate(tokens):
        if segment:
            previous = tokens[segment[-1]]
            heading = ":" in text[previous.end : token.start] and not any(
                tokens[j].word in _VERBISH for j in segment
            )
            if token.sentence != previous.sentence or heading:
                after_list = _mark_list(text, tokens, segment, listed, after_list)
                segment = []
        segment.append(i)
    if segment:
        _mark_list(text, tokens, segment, listed, after_list)
    return listed


def _mark_list(
    text: str, tokens: Sequence[Token], segment: list[int], listed: list[bool], after_list: bool
) -> bool:
    """Mark the segment's listed tokens; True when it was a list (the next fragment may continue it)."""
    # Items of the segment, each with whether "and"/"or" introduced it (prose, not a dump).
    items: list[tuple[list[int], bool]] = [([], False)]
    for i in segment:
        if items[-1][0] and (
            _ITEM_BREAK.search(text[tokens[i - 1].end : tokens[i].start]) or tokens[i].word in _CONJUNCTIONS
        ):
            items.append(([], False))
        if tokens[i].word in _CONJUNCTIONS:
            items[-1] = (items[-1][0], True)
        else:
            items[-1][0].append(i)
    items = [item for item in items if item[0]]
    has_verb = any(tokens[i].word in _VERBISH or irregular_verb(tokens[i].word) for i in segment)
    if not has_verb:
        short = [words for words, _ in items if len(words) <= LIST_MAX_ITEM_WORDS]
        line_start = text.rfind("\n", 0, tokens[segment[0]].start) + 1
        bullet = _BULLET.match(text, line_start) is not None
        # A short fragment with a verb in "-ed" is a sentence ("Stakeholders signed off."),
        # unless it follows a list: "... cutover. Lessons learned."
        fragment = len(segment) <= FRAGMENT_MAX_WORDS and (
            after_list or not any(tokens[i].word.endswith("ed") for i in segment)
        )
        if (
            (bullet and len(segment) <= BULLET_MAX_WORDS)
            or fragment
            or (len(items) >= LIST_MIN_ITEMS and len(short) * 4 >= len(items) * 3)
            or (len(items) >= 2 and len(segment) <= 3 * len(items))
        ):
            for i in segment:
                listed[i] = True
            return True
        return False
    bare = [
        words
        for words, chained in items[1:]
        if len(words) <= LIST_MAX_ITEM_WORDS
        and not chained
        and not any(tokens[i].word in _VERBISH for i in words)
    ]
    # Lists with a stray verb ("don't break what works", "got it") are still lists; terms
    # running on from a subject ("I led a, b, c...") are the candidate's own sentence.
    # A colon after the frame announces a list all the same ("I'd cover: a, b, c, d, e").
    frame_end = tokens[items[0][0][-1]].end
    announced = ":" in text[frame_end : tokens[items[1][0][0]].start] if len(items) > 1 else False
    framed = not announced and any(tokens[i].word in SUBJECTS for i in items[0][0])
    if not framed and len(bare) >= DUMP_MIN_ITEMS and len(bare) * 4 >= (len(items) - 1) * 3:
        # The first item is one of the terms too, unless it frames them ("we used: ...").
        head = items[0][0]
        if (
            not announced
            and len(head) <= LIST_MAX_ITEM_WORDS
            and not any(tokens[i].word in _VERBISH for i in head)
        ):
            bare.append(head)
        for words in bare:
            for i in words:
                listed[i] = True
        return True
    return False


def _judged_later(tokens: Sequence[Token], first: int, last: int) -> bool:
    """A topic named up front, then negated in its sentence: "ITIL is operations stuff, we don't need it"."""
    sentence = tokens[first].sentence
    if first >= TOPIC_WORDS and tokens[first - TOPIC_WORDS].sentence == sentence:
        return False
    for j in range(last + 1, len(tokens)):
        token = tokens[j]
        if token.word == "so" and token.sentence == sentence:
            return _so_dismissed(tokens, j)
        if token.sentence != sentence or token.word in _SCOPE_ENDS or token.word in _RELATIVES:
            return False
        if token.word in SUBJECTS and token.clause != tokens[last].clause:
            return _refers_back_negated(tokens, j)
        # ", not a manager" contrasts with what came before rather than negating it.
        contrast = token.word == "not" and tokens[j - 1].clause != token.clause
        if not contrast and (
            token.word in _DISMISSALS or token.word in _VERB_NEGATORS or token.word.endswith("n't")
        ):
            return True
    return False


def _refers_back_negated(tokens: Sequence[Token], subject: int) -> bool:
    """ "..., we never needed one": the new subject's clause negates a pronoun for the topic."""
    clause = tokens[subject].clause
    j = subject + 1
    while j < len(tokens) and tokens[j].clause == clause:
        if tokens[j].word in _SCOPE_ENDS:
            return False
        if _is_negator(tokens, j) is not None and any(
            t.word in _BACK_REFERENCES and t.clause == clause for t in tokens[j + 1 : j + 4]
        ):
            return True
        j += 1
    return False


def _so_dismissed(tokens: Sequence[Token], so: int) -> bool:
    """ "User research takes too long, so I'd skip it"."""
    for j in range(so + 1, min(len(tokens), so + 5)):
        if tokens[j].clause != tokens[so].clause:
            return False
        if tokens[j].word in _DISMISSIVE_VERBS and any(
            t.word in _BACK_REFERENCES for t in tokens[j + 1 : j + 3]
        ):
            return True
    return False


def _negator_in_clause(tokens: Sequence[Token], first: int) -> bool:
    clause = tokens[first].clause
    j = first - 1
    while j >= 0 and tokens[j].clause == clause:
        if _is_negator(tokens, j) is not None:
            return True
        j -= 1
    return False


def mention(tokens: Sequence[Token], marks: list[int], listed: list[bool], where: range) -> Mention:
    first, last = where.start, where.stop - 1
    after = _dismissed_after(tokens, first, last) or (
        marks[first] == 0 and _judged_later(tokens, first, last)
    )
    if (marks[first] + after) % 2 == 1:
        return "negated"
    # A negation run on from an earlier clause and a dismissal in the mention's own clause
    # agree rather than cancel: "I wouldn't mix them, hybrid contracts just confuse everyone".
    if after and marks[first] and not _negator_in_clause(tokens, first):
        return "negated"
    if all(listed[i] for i in where):
        return "listed"
    return "affirmed"
