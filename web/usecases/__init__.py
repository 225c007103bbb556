"""What the JSON API and the pages both do, whatever the request looks like.

Both entry points (:mod:`web.api`, :mod:`web.pages`) call these modules, and
neither imports the other. Each holds one concept: :mod:`.scope` (who may see
which incident and which offices), :mod:`.read_your_writes` (waiting for the
read models after a write, or for an incident just read), :mod:`.presenting`
(an incident as a person may see it, with its contact disclosures),
:mod:`.text_warnings` (contact details typed into a narrative),
:mod:`.audit_trail` (the audit trail with its leaf hashes, the checkpoints) and
:mod:`.bounds` (the limits of what a request may ask for). They read the
application through :mod:`web` and never parse a request nor shape an answer:
status codes, ETags and forms stay with the entry points.
"""
