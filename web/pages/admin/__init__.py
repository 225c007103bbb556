"""Pages of the admin: people, roles, office scopes, passwords, tokens, erasure.

Every change is one small form posted to its own address, then Post/Redirect/
Get with a message; a refused form is shown again with its messages (422 for
bad input, 409 when the state forbids it) and nothing is changed. One
blueprint (:mod:`.blueprint`), a module per kind of work: :mod:`.people`,
:mod:`.tokens`, :mod:`.erasure` and :mod:`.sends` (mail not yet sent); the
person page's :mod:`.forms`, and :mod:`.changes`, which runs each change to a
person.
"""

from __future__ import annotations

from web.pages.admin import erasure, people, sends, tokens
from web.pages.admin.blueprint import bp

# Each module registers its views on the blueprint as it is imported.
VIEWS = (erasure, people, sends, tokens)

__all__ = ["VIEWS", "bp"]
