"""featvis.batch against `featvis-cuda --batch`: the same files and journal, resumable, bad lines reported,
a busy folder refused, Ctrl-C leaving a consistent journal and no partial file."""
import fcntl
import json
import os
import signal
import threading

import pytest
from conftest import run_cli

import featvis

JOBS = ["mixed3a:1 size=32 steps=2", "mixed4a:97 + 0.5*mixed4a:143 size=32 steps=2 diversity=2 seed=3",
        "-mixed4a:97 size=32 steps=3 preset=lucid  # a comment"]


def _journal(out):
    lines = [json.loads(l) for l in open(os.path.join(out, "journal.jsonl"))]
    return sorted((l["key"], l["index"], l["file"], l["status"], l["settings"]) for l in lines)


def _files(out):
    return sorted(os.path.relpath(os.path.join(d, f), out) for d, _, fs in os.walk(out) for f in fs
                  if f.endswith(".png"))


def test_batch_is_the_cli_batch(model, tmp_path):
    (tmp_path / "jobs.txt").write_text("\n".join(JOBS) + "\n")
    run_cli("--batch", str(tmp_path / "jobs.txt"), "-o", str(tmp_path / "cli"), "--backend", "cpu", "--lr", "0.04")
    seen = []
    stats = featvis.batch(JOBS, tmp_path / "py", model, backend="cpu", lr=0.04,
                          progress=lambda n, total: seen.append((n, total)))
    assert stats[:5] == (4, 0, 4, 0, 3) and stats.journal == str(tmp_path / "py" / "journal.jsonl")
    assert seen[-1] == (4, 4) and all(0 <= n <= t == 4 for n, t in seen)
    assert _files(tmp_path / "py") == _files(tmp_path / "cli") and len(_files(tmp_path / "cli")) == 4
    for f in _files(tmp_path / "cli"):
        assert (tmp_path / "py" / f).read_bytes() == (tmp_path / "cli" / f).read_bytes(), f
    assert _journal(tmp_path / "py") == _journal(tmp_path / "cli")
    again = featvis.batch(str(tmp_path / "jobs.txt"), tmp_path / "py", model, backend="cpu", lr=0.04, progress=False)
    assert again[:4] == (4, 4, 0, 0)  # resumed: everything found done


def test_bad_job_lines_are_listed(model, tmp_path):
    jobs = ["mixed3a:1 size=32 steps=1", "mixed4a:9999 size=32", "mixed3a:1 colour=3"]
    with pytest.raises(ValueError) as e:
        featvis.batch(jobs, tmp_path / "out", model, backend="cpu", progress=False)
    lines = str(e.value).splitlines()
    assert lines[0].endswith("nothing rendered") and "jobs.txt" not in str(e.value)
    assert [l.split(":")[0] for l in lines[1:]] == ["jobs[1]", "jobs[2]"]
    assert "colour" in lines[2]
    stats = featvis.batch(jobs, tmp_path / "out", model, skip_invalid=True, backend="cpu", progress=False)
    assert stats[:3] == (1, 0, 1)


def test_a_busy_folder_is_refused(model, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with open(out / "journal.jsonl.lock", "w") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(BlockingIOError, match="another run is rendering here"):
            featvis.batch(JOBS[:1], out, model, backend="cpu", progress=False)


def test_ctrl_c_leaves_a_consistent_journal(model, tmp_path):
    out = tmp_path / "out"
    jobs = ["mixed3a:1 size=32 steps=2", "mixed4a:97 size=32 steps=100000"]
    done = threading.Event()

    def progress(finished, total):  # Ctrl-C once the first image is journalled and the long pass runs
        if finished >= 1 and not done.is_set():
            done.set()
            threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
    with pytest.raises(KeyboardInterrupt):
        featvis.batch(jobs, out, model, backend="cpu", progress=progress)
    journal = [json.loads(l) for l in open(out / "journal.jsonl")]
    assert [(j["objective"], j["status"]) for j in journal] == [("mixed3a:1", "ok")]
    assert _files(out) == [journal[0]["file"]]
    assert not [f for _, _, fs in os.walk(out) for f in fs if ".tmp." in f]
    stats = featvis.batch(jobs[:1], out, model, backend="cpu", progress=False)
    assert stats[:3] == (1, 1, 0)
