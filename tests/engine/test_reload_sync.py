"""Reload signals between processes over a real PostgreSQL: digests, the shards table, LISTEN/NOTIFY, outages."""

from __future__ import annotations

import logging
import os
import queue
import shutil
import threading
from pathlib import Path

from engine.journal.reload_sync import ReloadSync, ShardState, answered_all, knowledge_digest, tally


def test_the_digest_follows_the_files_and_only_them(knowledge_copy: Path, tmp_path: Path):
    digest = knowledge_digest(knowledge_copy)
    twin = tmp_path / "twin"
    shutil.copytree(knowledge_copy, twin)
    assert knowledge_digest(twin) == digest  # another machine, the same deployment
    (twin / ".editor-swap").write_text("not knowledge")
    assert knowledge_digest(twin) == digest
    sheet = next((twin / "facts").rglob("*.yaml"))
    sheet.write_text(sheet.read_text() + "\n# edited\n")
    assert knowledge_digest(twin) != digest


def test_the_digest_never_opens_a_fifo_a_device_or_a_file_outside(knowledge_copy: Path, tmp_path: Path):
    """A FIFO would block the read forever, /dev/zero never ends, a link outside is not the deployment's."""
    before = knowledge_digest(knowledge_copy)
    os.mkfifo(knowledge_copy / "drafts-pipe")
    (knowledge_copy / "zero").symlink_to("/dev/zero")
    secret = tmp_path / "elsewhere.txt"
    secret.write_text("outside the knowledge folder")
    (knowledge_copy / "outside").symlink_to(secret)
    result: list[str] = []
    thread = threading.Thread(target=lambda: result.append(knowledge_digest(knowledge_copy)), daemon=True)
    thread.start()
    thread.join(30)  # generous: it takes milliseconds; a blocked read would never end
    assert result and result[0] != before
    secret.write_text("changed, still outside")
    assert knowledge_digest(knowledge_copy) == result[0]  # what lies outside does not count


def listening(sync: ReloadSync) -> tuple[threading.Thread, queue.Queue[str]]:
    heard: queue.Queue[str] = queue.Queue()
    ready = threading.Event()
    thread = threading.Thread(target=sync.listen, args=(heard.put, ready), daemon=True)
    thread.start()
    assert ready.wait(30), "the listener never connected"
    return thread, heard


def test_a_reload_announced_by_one_process_reaches_the_other_and_the_table_says_who_serves_what(pg_url):
    first, second = ReloadSync(pg_url, (0,)), ReloadSync(pg_url, (1,))
    first.record("old")
    second.record("old")
    thread, heard = listening(second)
    first.announce("new")
    assert heard.get(timeout=30) == "new"
    assert first.announced() == "new"
    states = first.states()
    assert [(s.process, s.shard_ids, s.digest, s.state) for s in states] == [
        ("shards 0", (0,), "new", "serving"),
        ("shards 1", (1,), "old", "serving"),
    ]
    assert not answered_all(states, "new", 2)
    second.record("new", "refused", "2 problem(s), first facts/x.yaml:3: bad")
    states = first.states()
    assert answered_all(states, "new", 2)
    served, total, refused = tally(states, "new", 2)
    assert (served, total, [r.process for r in refused]) == (1, 2, ["shards 1"])
    assert refused[0].detail.startswith("2 problem(s)")
    second.stop()
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_a_restarted_process_takes_its_row_back():
    states = [ShardState("shards 0,1", (0, 1), "a", 1, "d", "serving", "", 0.0)]
    assert tally(states, "d", 4) == (2, 4, [])
    assert tally(states, "d", None) == (1, 1, [])
    assert not answered_all(states, "d", 4)


def test_the_listener_outlives_a_database_restart_and_hears_the_reload_made_meanwhile(own_server, caplog):
    url = own_server.create_database("journal")
    first, second = ReloadSync(url, (0,)), ReloadSync(url, (1,))
    thread, heard = listening(second)
    own_server.kill()
    own_server.start()
    first.announce("while-away")  # before or after the listener is back: it hears it either way
    assert heard.get(timeout=30) == "while-away"
    errors = [r for r in caplog.records if r.name == "alliance.reload" and r.levelno >= logging.ERROR]
    assert len(errors) <= 1
    second.stop()
    thread.join(timeout=10)
