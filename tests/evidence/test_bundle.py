"""Evidence bundles: intact ones are accepted; altered ones refused, saying where."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from incidents.evidence import BundleExistsError
from incidents.evidence import bundle_verifier as verifier
from incidents.evidence.signing import Checkpoint, CheckpointSigner
from tests.conftest import ledger_settings
from tests.evidence.conftest import write_history

if TYPE_CHECKING:
    from incidents.evidence import Evidence
    from tests.conftest import OpenLog
    from tests.evidence.conftest import MakeEvidence

LINE = 12


@pytest.fixture
def evidence(make_log: OpenLog, make_evidence: MakeEvidence) -> Evidence:
    log = make_log("memory://", ledger=ledger_settings(checkpoint_every=10))
    write_history(log, incidents=6)
    return make_evidence(log)


@pytest.fixture
def bundle(evidence: Evidence, tmp_path: Path) -> Path:
    """Export a bundle of a log that had a checkpoint part-way, as a directory."""
    evidence.checkpoint()
    write_history(evidence.log, incidents=2)
    path = tmp_path / "bundle"
    evidence.export(path)
    return path


def problems(path: Path, **options: Any) -> list[str]:
    report = verifier.verify_bundle(path, **options)
    assert report.ok == (not report.problems)
    return report.problems


def events(path: Path) -> list[str]:
    return (path / verifier.EVENTS).read_text().splitlines(keepends=True)


def rewrite_events(path: Path, lines: list[str]) -> None:
    (path / verifier.EVENTS).write_text("".join(lines))


def test_an_intact_bundle_is_accepted_as_a_directory_and_as_a_zip(
    evidence, bundle, tmp_path
):
    report = verifier.verify_bundle(bundle, key_id=evidence.signer.key_id)

    assert report.ok, report.problems
    head = evidence.ledger.head()
    assert (report.events, report.position) == (head.size, head.position)
    assert report.head == head.chain.hex()
    assert sorted(path.name for path in bundle.iterdir()) == sorted(
        [*verifier.LISTED_FILES, verifier.MANIFEST, verifier.MANIFEST_SIGNATURE]
    )
    earlier = len(evidence.checkpoints()) - 1  # All but the bundle's own.
    assert len((bundle / verifier.CHECKPOINTS).read_text().splitlines()) == earlier
    assert earlier > 1
    zipped = tmp_path / "bundle.zip"
    evidence.export(zipped)
    assert verifier.verify_bundle(zipped).ok


def test_the_zip_for_the_api_is_an_intact_bundle(evidence, tmp_path):
    data = evidence.export_zip_bytes()

    path = tmp_path / "from-api.zip"
    path.write_bytes(data)
    assert zipfile.is_zipfile(path)
    assert verifier.verify_bundle(path).ok


def test_a_bundle_is_never_written_over_something(evidence, bundle):
    with pytest.raises(BundleExistsError):
        evidence.export(bundle)


def test_a_changed_byte_in_an_event_is_refused_at_its_line(bundle):
    lines = events(bundle)
    event = json.loads(lines[LINE - 1])
    state = bytearray(base64.b64decode(event["state"]))
    state[3] ^= 0x20
    event["state"] = base64.b64encode(bytes(state)).decode()
    lines[LINE - 1] = json.dumps(event) + "\n"
    rewrite_events(bundle, lines)

    found = problems(bundle)

    assert "events.jsonl: its SHA-256 or size differs from the manifest" in found[0]
    assert any(
        f"events.jsonl line {LINE} (position {event['position']}): its content hash"
        in problem
        for problem in found
    )


def test_a_removed_line_is_refused_at_the_line_after_it(bundle):
    lines = events(bundle)
    del lines[LINE - 1]
    rewrite_events(bundle, lines)

    found = problems(bundle)

    assert any(
        f"events.jsonl line {LINE} (position {LINE + 1}): its chain value does not "
        "follow" in problem
        for problem in found
    )


def test_an_added_line_is_refused(bundle):
    lines = events(bundle)
    lines.insert(LINE, lines[LINE - 1])
    rewrite_events(bundle, lines)

    found = problems(bundle)

    assert any(f"events.jsonl line {LINE + 1}" in p and "reordered" in p for p in found)


def test_a_line_added_at_the_end_is_refused(bundle):
    lines = events(bundle)
    last = json.loads(lines[-1])
    extra = {**last, "position": last["position"] + 1, "version": last["version"] + 1}
    content = verifier.content_hash(
        extra["aggregate_id"],
        extra["version"],
        extra["topic"],
        base64.b64decode(extra["state"]),
    )
    leaf = verifier.leaf_hash(extra["position"], content)
    chain = hashlib.sha256(bytes.fromhex(last["chain"]) + leaf).digest()
    extra.update(content=content.hex(), leaf=leaf.hex(), chain=chain.hex())
    rewrite_events(bundle, [*lines, json.dumps(extra) + "\n"])

    found = problems(bundle)

    assert any("lines were added at the end" in problem for problem in found)


def test_reordered_lines_are_refused(bundle):
    lines = events(bundle)
    lines[LINE - 1], lines[LINE] = lines[LINE], lines[LINE - 1]
    rewrite_events(bundle, lines)

    found = problems(bundle)

    assert any(f"events.jsonl line {LINE}" in problem for problem in found)


def test_events_rehashed_consistently_still_miss_the_signed_root(bundle):
    # The intruder changes an event and recomputes every hash after it, and the
    # manifest's digests; only the signatures stand in the way.
    lines = events(bundle)
    chain = bytes.fromhex(json.loads(lines[LINE - 2])["chain"])
    for index in range(LINE - 1, len(lines)):
        event = json.loads(lines[index])
        if index == LINE - 1:
            event["topic"] += "x"
        content = verifier.content_hash(
            event["aggregate_id"],
            event["version"],
            event["topic"],
            base64.b64decode(event["state"]),
        )
        leaf = verifier.leaf_hash(event["position"], content)
        chain = hashlib.sha256(chain + leaf).digest()
        event.update(content=content.hex(), leaf=leaf.hex(), chain=chain.hex())
        lines[index] = json.dumps(event) + "\n"
    rewrite_events(bundle, lines)
    manifest = json.loads((bundle / verifier.MANIFEST).read_text())
    data = (bundle / verifier.EVENTS).read_bytes()
    manifest["files"][verifier.EVENTS] = {
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
    }
    (bundle / verifier.MANIFEST).write_text(json.dumps(manifest))

    found = problems(bundle)

    assert any("manifest.sig" in problem for problem in found)
    assert any("do not lead to the root of the" in problem for problem in found)


def test_a_checkpoint_re_signed_with_another_key_is_refused(evidence, bundle, tmp_path):
    intruder = CheckpointSigner(tmp_path / "intruder.pem")
    original = json.loads((bundle / verifier.CHECKPOINT).read_text())
    forged = _re_sign(original, intruder)
    (bundle / verifier.CHECKPOINT).write_text(json.dumps(forged))

    found = problems(bundle)

    assert any(
        f"checkpoint.json: names key {intruder.key_id}" in problem for problem in found
    )
    assert any("checkpoint.json: its SHA-256" in problem for problem in found)


def test_a_bundle_forged_whole_with_another_key_is_refused_by_the_key_you_trust(
    evidence, bundle, tmp_path
):
    intruder = CheckpointSigner(tmp_path / "intruder.pem")
    _re_sign_whole(bundle, intruder)

    assert problems(bundle) == []  # Self-consistent: the key is what gives it away.
    trusted = evidence.signer.public_key_pem()
    assert any(
        "not the public key you trust" in problem
        for problem in problems(bundle, public_key_pem=trusted)
    )
    assert any(
        f"is not key {evidence.signer.key_id}" in problem
        for problem in problems(bundle, key_id=evidence.signer.key_id)
    )


def test_a_replaced_public_key_is_refused(bundle, tmp_path):
    intruder = CheckpointSigner(tmp_path / "intruder.pem")
    (bundle / verifier.PUBLIC_KEY).write_bytes(intruder.public_key_pem())

    found = problems(bundle)

    assert any("public_key.pem: its SHA-256" in problem for problem in found)
    assert any("manifest.sig" in problem for problem in found)
    assert any("checkpoint.json: names key" in problem for problem in found)


def test_an_edited_manifest_is_refused(bundle):
    manifest = json.loads((bundle / verifier.MANIFEST).read_text())
    manifest["created_at"] = "2020-01-01T00:00:00Z"
    (bundle / verifier.MANIFEST).write_text(json.dumps(manifest, indent=2))

    assert any(
        problem.startswith(
            "manifest.json: its signature (manifest.sig) does not verify"
        )
        for problem in problems(bundle)
    )


@pytest.mark.parametrize(
    "name", [verifier.MANIFEST_SIGNATURE, verifier.CHECKPOINTS, verifier.EVENTS]
)
def test_a_missing_file_is_refused(bundle, name):
    (bundle / name).unlink()

    assert f"{name}: missing." in problems(bundle)


def test_an_added_file_is_refused(bundle):
    (bundle / "note.txt").write_text("nothing to see")

    assert "note.txt: is not part of a bundle (added)." in problems(bundle)


def test_a_bundle_extends_a_checkpoint_held_from_before(evidence, tmp_path):
    held = evidence.checkpoint().to_json()
    write_history(evidence.log, incidents=1)
    path = tmp_path / "later.zip"
    evidence.export(path)

    report = verifier.verify_bundle(path, held=[held])

    assert report.ok, report.problems
    assert report.held_checked == 1


def test_a_checkpoint_held_from_another_history_is_not_extended(
    evidence, make_log, make_evidence, tmp_path
):
    other_log = make_log("memory://")
    write_history(other_log, incidents=2)
    other = make_evidence(other_log)  # The same key, another history.
    held = other.checkpoint().to_json()
    path = tmp_path / "bundle.zip"
    evidence.export(path)

    found = problems(path, held=[held])

    assert len(found) == 1
    assert (
        f"(position {held['position']}): the events up to here do not lead"
        in (found[0])
    )
    assert "from held checkpoint 1): history was rewritten" in found[0]


def test_a_bundle_older_than_a_held_checkpoint_does_not_extend_it(
    evidence, bundle, tmp_path
):
    write_history(evidence.log, incidents=1)
    held = evidence.checkpoint().to_json()

    found = problems(bundle, held=[held])

    assert len(found) == 1
    assert "or the bundle is older than that checkpoint" in found[0]


def test_lines_cut_from_the_end_are_refused(bundle):
    rewrite_events(bundle, events(bundle)[:-2])

    found = problems(bundle)

    assert "lines were removed from the end" in found[-1]
    assert not any("added at the end" in problem for problem in found)


def test_the_verifier_runs_copied_out_with_only_the_standard_library_and_cryptography(
    bundle, tmp_path
):
    copy = tmp_path / "elsewhere" / "bundle_verifier.py"
    copy.parent.mkdir()
    shutil.copy(verifier.__file__, copy)
    probe = (
        "import runpy, sys\n"
        "before = set(sys.modules)\n"
        f"sys.argv = ['bundle_verifier.py', {str(bundle)!r}]\n"
        "try:\n"
        f"    runpy.run_path({str(copy)!r}, run_name='__main__')\n"
        "except SystemExit as exit:\n"
        "    code = exit.code\n"
        "roots = {name.split('.')[0] for name in set(sys.modules) - before}\n"
        "extra = roots - set(sys.stdlib_module_names) - BINDINGS\n"
        "print('EXIT', code, 'EXTRA', sorted(extra))\n"
    ).replace("BINDINGS", repr({"cryptography", "_cffi_backend", "_openssl"}))

    ran = subprocess.run(
        [sys.executable, "-I", "-c", probe],
        capture_output=True,
        text=True,
        cwd=copy.parent,
        timeout=60,
        check=False,
    )

    assert "Bundle intact" in ran.stdout, ran.stderr
    assert "EXIT 0 EXTRA []" in ran.stdout


def _re_sign(data: dict[str, Any], signer: CheckpointSigner) -> dict[str, Any]:
    """Sign what a checkpoint says again, with another key, in its format."""
    checkpoint = Checkpoint.from_json(data)
    return signer.sign(
        size=checkpoint.size,
        position=checkpoint.position,
        root=checkpoint.root,
        chain=checkpoint.chain,
        time=checkpoint.time,
    ).to_json()


def _re_sign_whole(bundle: Path, signer: CheckpointSigner) -> None:
    checkpoint = json.loads((bundle / verifier.CHECKPOINT).read_text())
    forged = _re_sign(checkpoint, signer)
    (bundle / verifier.CHECKPOINT).write_text(json.dumps(forged))
    earlier = [
        json.dumps(_re_sign(json.loads(line), signer)) + "\n"
        for line in (bundle / verifier.CHECKPOINTS).read_text().splitlines()
    ]
    (bundle / verifier.CHECKPOINTS).write_text("".join(earlier))
    (bundle / verifier.PUBLIC_KEY).write_bytes(signer.public_key_pem())
    manifest = json.loads((bundle / verifier.MANIFEST).read_text())
    for name in verifier.LISTED_FILES:
        data = (bundle / name).read_bytes()
        manifest["files"][name] = {
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
        }
    raw = json.dumps(manifest).encode()
    (bundle / verifier.MANIFEST).write_bytes(raw)
    (bundle / verifier.MANIFEST_SIGNATURE).write_bytes(
        base64.b64encode(signer.sign_manifest(raw))
    )


def test_an_altered_checkpoint_you_hold_is_refused(evidence, bundle):
    held = evidence.checkpoints()[0].to_json()
    held["signed_at"] = "2000-01-01T00:00:00Z"

    found = problems(bundle, held=[held])

    assert found == [
        "held checkpoint 1: its signature does not verify: the checkpoint was "
        "altered or re-signed with another key."
    ]


def test_held_checkpoints_of_both_formats_are_extended_by_a_bundle(evidence, tmp_path):
    row = evidence.ledger.row_at(evidence.ledger.head().position)
    assert row is not None
    format_1 = evidence.signer.sign(
        size=row.size, position=row.position, root=row.chain
    )
    old_shape = {
        "format": "incidents-evidence-checkpoint/1",
        **{name: format_1.to_json()[name] for name in ("size", "position", "root")},
        "time": format_1.time,
        "key_id": format_1.key_id,
        "signature": base64.b64encode(format_1.signature).decode(),
    }
    format_2 = evidence.checkpoint()
    write_history(evidence.log, incidents=1)
    path = tmp_path / "later.zip"
    evidence.export(path)

    report = verifier.verify_bundle(
        path, held=[format_1.to_json(), old_shape, format_2.to_json()]
    )

    assert report.ok, report.problems
    assert report.held_checked == 3
    wrong = {**format_2.to_json(), "chain": format_2.root.hex()}
    assert "signature does not verify" in problems(path, held=[wrong])[0]
    resigned = evidence.signer.sign(
        size=row.size, position=row.position, root=row.root, chain=row.root
    )
    found = problems(path, held=[resigned.to_json()])
    assert "history was rewritten" in found[0]
