"""The buttons that lead to an application, declared once.

The flows that handle them (handlers/apply.py: LEAD, handlers/nominations.py: UNIT,
handlers/apply_docx.py: WORD) and the notices that carry them (application_view.decide) all
need them; declared here, none of those modules has to import another to make a button.
"""

from __future__ import annotations

from handlers.callbacks import Buttons

# The lead's: the application a button is for comes first; section buttons name the section.
LEAD = Buttons(
    "ap",
    command="apply",
    open=("o", (int,)),  # a project (a lead of several chooses)
    resume=("r", ()),  # as /apply: under a notice that the lead has something left to do
    done=("d", (int, str)),
    skip=("s", (int, str)),
    back=("b", (int, str)),
    save_exit=("x", (int, str)),
    preview=("v", (int,)),
    edit=("e", (int, str)),
    submit=("u", (int,)),
    withdraw=("w", (int,)),
)
# The unit secretary's.
UNIT = Buttons(
    "nm",
    command="nominations",
    start=("s", ()),  # as /nominations: under a notice that applications are waiting
    list=("l", (int, int)),  # a unit, a page
    show=("a", (int,)),  # an application, from here on
    nominate=("n", (int,)),
    unnominate=("u", (int,)),
    return_=("r", (int,)),
    full=("f", (int,)),  # its whole text, then the card again under it
    next=("x", (int,)),  # the card turns into this (next waiting) one
)
# The Word form of an application, to fill in offline.
WORD = Buttons(
    "dx",
    command="apply",
    form=("f", (int,)),
    # An amount read with doubt (several in a Word file, or implausible): as read, or typed.
    amount_ok=("a", (int,)),
    amount_retype=("t", (int,)),
)
