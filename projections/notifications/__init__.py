"""Notify people of what the log calls for: severe incidents, escalations, overdue
follow-ups and digests, under the bell and by mail, once per key (ADR 0015).

:mod:`.store` keeps the notifier's tables beside the events, :mod:`.rules` says
which facts call for a notification, :mod:`.recipients` who receives it,
:mod:`.notifier` follows the log and delivers, :mod:`.mailer` speaks SMTP,
:mod:`.messages` writes each message from its templates, and :mod:`.queries`
answers the bell and the admin's list.
"""
