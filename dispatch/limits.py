"""How long a text a person or an outside system may send, named once.

Why here: the same limit is checked at several doors (the phone API's schemas, Open311's form,
the domain's own checks), and a limit written at each door drifts: a description the phones may
send must also fit through Open311. Every door reads its number from this module; the limits are
not settings, because the stored data and the published API documents depend on them.
"""

from __future__ import annotations

# A report's description: from a phone, a page or an outside system (Open311).
DESCRIPTION_MAX_CHARS = 2000
# An officer's note at a milestone, and the reporter's comment in the follow-up.
NOTE_MAX_CHARS = 2000
# Why a deadline is extended (told to the reporter at once).
REASON_MAX_CHARS = 2000
# A reporter's complaint, and command's reply to it.
COMPLAINT_MAX_CHARS = 2000
# Why a case is withheld from the public list (command's word, published as the withholding).
WITHHOLD_REASON_MAX_CHARS = 500
# Each of the public problem and result a commander reviewed for the disclosure.
PUBLIC_TEXT_MAX_CHARS = 500
# Open311: a link to a photo elsewhere, and the value of one `attribute[code]`.
MEDIA_URL_MAX_CHARS = 2000
ATTRIBUTE_MAX_CHARS = 200
# An identifier or code a client names: a unit, a site, a person, a category, a case.
ID_MAX_CHARS = 64
# Photos a case may hold in all: those of the report and those added later (by its reporter, or
# by an officer or dispatcher of its units), one request at a time.
PHOTOS_PER_CASE_MAX = 20
