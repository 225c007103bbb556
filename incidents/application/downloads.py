"""Record every download of a report or a spreadsheet, and list them for auditors.

A download takes the figures or the incidents out of the product: who took
what, with which parameters and when is an event of its own
(``ReportDownloaded``), recorded before the file is made, in a log of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eventsourcing.application import EventSourcedLog

from incidents.application.store import IncidentStore
from incidents.logs import DOWNLOAD_LOG_ID, ReportDownloaded


class Downloads(IncidentStore):
    """Keep the log of downloads."""

    download_log: EventSourcedLog[ReportDownloaded]

    def record_download(
        self,
        what: str,
        parameters: Mapping[str, object],
        *,
        actor: str,
        channel: str,
    ) -> None:
        """Record that ``actor`` downloads ``what`` (a file's name) with parameters.

        Parameters left out (``None``) are not recorded; the others as text.
        """
        kept = {
            name: str(value) for name, value in parameters.items() if value is not None
        }
        self._append(
            self.download_log,
            DOWNLOAD_LOG_ID,
            actor=actor,
            what=what,
            parameters=kept,
            channel=channel,
        )

    def list_downloads(
        self, *, after: int = 0, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Return the downloads in order, from the one after number ``after``."""
        downloads = []
        for downloaded in self.download_log.get(gt=after or None, limit=limit):
            downloads.append(
                {
                    "number": downloaded.originator_version,
                    "actor": downloaded.actor,
                    "what": downloaded.what,
                    "parameters": dict(downloaded.parameters),
                    "channel": downloaded.channel,
                    "at": downloaded.timestamp,
                }
            )
        return downloads
