"""The four self-ratings a user gives an answer (they feed spaced repetition).

What each is called on a button or in a message is presentation: bot/present/labels.py.
"""

from enum import IntEnum


class Rating(IntEnum):
    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4
