"""Output paths (issue 9, item 1): refused targets, inputs kept safe, links, permissions, temporary files, signals."""

import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import glassnet
from glassnet import files
from glassnet.checks import special_file_kind
from glassnet.cli import main
from glassnet.files import TMP_MARK, protected, remove_leftovers, write_atomically


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if TMP_MARK in p.name)


def dead_pid():
    """The pid of a process that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def one_error_line(capsys):
    captured = capsys.readouterr()
    assert captured.out == ""  # the error comes before any output
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("glassnet: error: "), captured.err
    return lines[0]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """iris.csv (labelled), features.csv (for predict) and model.safetensors trained on iris.csv."""
    folder = tmp_path_factory.mktemp("files")
    assert main(["datasets", "export", "iris", str(folder / "iris.csv")]) == 0
    assert main(["datasets", "export", "iris", str(folder / "features.csv"), "--features-only"]) == 0
    assert main(["train", "--data", str(folder / "iris.csv"), "--epochs", "1", "--quiet",
                 "--out", str(folder / "model.safetensors")]) == 0
    return folder


# ------------------------------------------------------------------ refused targets
@pytest.mark.parametrize(
    "mode, kind",
    [(stat.S_IFREG | 0o644, None), (stat.S_IFDIR | 0o755, "directory"), (stat.S_IFCHR | 0o666, "a device"),
     (stat.S_IFBLK | 0o660, "a device"), (stat.S_IFIFO | 0o644, "a FIFO (named pipe)"),
     (stat.S_IFSOCK | 0o777, "a socket")],
)
def test_special_file_kind_names_every_kind_of_stat_mode(mode, kind):
    assert special_file_kind(mode) == kind


def test_dev_null_reads_as_a_device_by_its_stat_alone():
    # only stat is read: nothing under /dev is opened or written
    assert special_file_kind(os.stat(os.devnull).st_mode) == "a device"


def fake_device(monkeypatch, target):
    """Make os.stat report ``target`` (a regular file in tmp_path) as a character device."""
    real_stat = os.stat

    def fake(path, *args, **kwargs):
        st = real_stat(path, *args, **kwargs)
        if isinstance(path, (str, os.PathLike)) and os.path.abspath(path) == str(target):
            return os.stat_result((stat.S_IFCHR | 0o666, *tuple(st)[1:]))
        return st

    monkeypatch.setattr(os, "stat", fake)


def test_a_device_target_is_refused_by_the_library_and_the_cli(tmp_path, monkeypatch, capsys):
    target = tmp_path / "device.csv"
    target.write_bytes(b"old")
    fake_device(monkeypatch, target)
    with pytest.raises(ValueError, match=r"^path '.*device.csv' is a device, not a regular file; give a file name$"):
        write_atomically(target, b"new")
    assert main(["datasets", "export", "bugs", str(target), "--force"]) == 2
    assert one_error_line(capsys) == (f"glassnet: error: PATH {str(target)!r} is a device, not a regular file; "
                                      "give a file name")
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["device.csv"]


def test_a_fifo_target_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match=r"pipe.csv' is a FIFO \(named pipe\), not a regular file"):
        write_atomically(fifo, b"data")
    # a real process, with a timeout: opening the FIFO for writing would block with no reader
    proc = subprocess.run([sys.executable, "-m", "glassnet", "datasets", "export", "bugs", str(fifo), "--force"],
                          capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == (f"glassnet: error: PATH {str(fifo)!r} is a FIFO (named pipe), not a regular file; "
                           "give a file name\n")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and os.listdir(tmp_path) == ["pipe.csv"]


def test_a_socket_and_a_link_to_a_fifo_are_refused(tmp_path):
    sock_path = tmp_path / "s.png"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        with pytest.raises(ValueError, match="s.png' is a socket, not a regular file"):
            write_atomically(sock_path, b"x")
    os.mkfifo(tmp_path / "fifo")
    os.symlink("fifo", tmp_path / "link.csv")
    with pytest.raises(ValueError, match="link.csv' is a FIFO"):
        write_atomically(tmp_path / "link.csv", b"x")
    assert sorted(os.listdir(tmp_path)) == ["fifo", "link.csv", "s.png"]


def test_a_directory_and_an_empty_path_are_refused(tmp_path):
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(IsADirectoryError, match="folder.csv' is a directory; give a file name"):
        write_atomically(tmp_path / "folder.csv", b"x")
    with pytest.raises(ValueError, match="^path must name a file, got an empty path$"):
        write_atomically("", b"x")
    assert os.listdir(tmp_path / "folder.csv") == []


def test_a_file_name_too_long_is_a_one_line_input_error(tmp_path, workdir, capsys):
    long_path = str(tmp_path / ("a" * 300 + ".csv"))
    with pytest.raises(ValueError, match="File name too long$"):
        write_atomically(long_path, b"x")
    assert main(["train", "--data", str(workdir / "iris.csv"), "--out", long_path]) == 2
    line = one_error_line(capsys)
    assert line.startswith("glassnet: error: --out '") and line.endswith("': File name too long")
    assert len(line) < 200  # the path is shortened in the middle
    assert main(["datasets", "export", "bugs", long_path]) == 2
    assert one_error_line(capsys).endswith("': File name too long")
    assert os.listdir(tmp_path) == []


def test_a_long_name_that_fits_gets_a_shortened_temporary_name(tmp_path):
    target = tmp_path / ("b" * 250 + ".csv")  # 254 bytes: the name fits, the name plus the temporary mark not
    assert write_atomically(target, b"one") == str(target)
    assert target.read_bytes() == b"one"
    prefix = files._tmp_prefix(target.name)
    assert len(prefix.encode()) < 220 and prefix.endswith(TMP_MARK)
    stale = tmp_path / f"{prefix}{dead_pid()}-{'0' * 16}"
    stale.write_bytes(b"left")
    write_atomically(target, b"two")
    assert os.listdir(tmp_path) == [target.name] and target.read_bytes() == b"two"


# ------------------------------------------------------------------ inputs kept
def test_train_refuses_its_data_file_as_out_before_training(workdir, capsys):
    data = workdir / "iris.csv"
    before = data.read_bytes()
    assert main(["train", "--data", str(data), "--out", str(data)]) == 2
    assert one_error_line(capsys) == (f"glassnet: error: --out {str(data)!r} is the same file as --data "
                                      f"{str(data)!r}, which this command reads; give another output path")
    assert data.read_bytes() == before
    assert leftovers(workdir) == []


def test_train_refuses_plots_that_are_the_data_or_the_model(workdir, tmp_path, capsys):
    data = workdir / "iris.csv"
    before = data.read_bytes()
    os.symlink(data, tmp_path / "curves.png")  # a link to the data: the same file
    assert main(["train", "--data", str(data), "--out", str(tmp_path / "m.safetensors"),
                 "--plot", str(tmp_path / "curves.png")]) == 2
    assert "--plot" in one_error_line(capsys) and data.read_bytes() == before
    out = str(tmp_path / "same.png")
    assert main(["train", "--data", str(data), "--out", out, "--plot-weights", out]) == 2
    assert one_error_line(capsys) == (f"glassnet: error: --plot-weights {out!r} is the same file as --out {out!r}; "
                                      "give each output its own path")
    assert sorted(os.listdir(tmp_path)) == ["curves.png"]


@pytest.mark.parametrize("which", ["model", "data", "hard link to the model"])
def test_predict_refuses_an_out_that_is_one_of_its_inputs(which, workdir, tmp_path, capsys):
    model, data = workdir / "model.safetensors", workdir / "features.csv"
    out = {"model": model, "data": data, "hard link to the model": tmp_path / "link.csv"}[which]
    if which.startswith("hard"):
        os.link(model, out)
    saved = {p: p.read_bytes() for p in (model, data)}
    assert main(["predict", str(model), "--data", str(data), "--out", str(out)]) == 2
    flag, source = ("--data", data) if which == "data" else ("MODEL", model)
    assert one_error_line(capsys) == (f"glassnet: error: --out {str(out)!r} is the same file as {flag} "
                                      f"{str(source)!r}, which this command reads; give another output path")
    assert {p: p.read_bytes() for p in saved} == saved
    # and with a path of its own it writes
    assert main(["predict", str(model), "--data", str(data), "--out", str(tmp_path / "p.csv")]) == 0
    assert (tmp_path / "p.csv").read_text().splitlines()[0].startswith("row,prediction,p_")


def test_evaluate_refuses_a_plot_that_is_its_model(workdir, tmp_path, capsys):
    model = workdir / "model.safetensors"
    before = model.read_bytes()
    os.link(model, tmp_path / "matrix.png")
    assert main(["evaluate", str(model), "--data", str(workdir / "iris.csv"), "--plot",
                 str(tmp_path / "matrix.png")]) == 2
    assert "is the same file as MODEL" in one_error_line(capsys)
    assert model.read_bytes() == before


def test_the_library_refuses_protected_inputs_at_write_time(tmp_path):
    data = tmp_path / "data.csv"
    data.write_bytes(b"x,y\n1,2\n")
    with protected({"--data": str(data)}):
        with pytest.raises(ValueError, match=r"^path '.*data.csv' is the same file as --data"):
            write_atomically(data, b"model")
        net = glassnet.Network([glassnet.Dense(2, 2, "softmax")], loss="cross_entropy", seed=0)
        with pytest.raises(ValueError, match="is the same file as --data"):
            net.save(data)
        write_atomically(tmp_path / "other.csv", b"fine")
    assert data.read_bytes() == b"x,y\n1,2\n"
    write_atomically(data, b"outside the command: allowed")
    assert data.read_bytes() == b"outside the command: allowed"


def test_datasets_export_checks_its_path_before_building_the_table(tmp_path, monkeypatch, capsys):
    import glassnet.cli

    def fail(*args, **kwargs):
        raise AssertionError("the table was built")

    monkeypatch.setattr(glassnet.cli, "builtin_table", fail)
    os.mkfifo(tmp_path / "x.csv")
    assert main(["datasets", "export", "iris", str(tmp_path / "x.csv"), "--force"]) == 2
    assert "is a FIFO" in one_error_line(capsys)


def test_experiment_checks_its_plot_before_running(tmp_path, monkeypatch, capsys):
    from glassnet import experiments

    def fail(*args, **kwargs):
        raise AssertionError("the experiment ran")

    monkeypatch.setattr(experiments, "rashid_grid", fail)
    os.mkfifo(tmp_path / "grid.png")
    assert main(["experiment", "rashid-grid", "--plot", str(tmp_path / "grid.png")]) == 2
    assert one_error_line(capsys) == (f"glassnet: error: --plot {str(tmp_path / 'grid.png')!r} is a FIFO (named "
                                      "pipe), not a regular file; give a file name")


# ------------------------------------------------------------------ links and permissions
def test_a_symlink_is_written_through_and_stays_a_link(tmp_path, capsys):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "bugs.csv"
    target.write_text("old\n")
    link = tmp_path / "bugs.csv"
    os.symlink("real/bugs.csv", link)
    assert main(["datasets", "export", "bugs", str(link), "--force"]) == 0
    assert capsys.readouterr().out == f"wrote 2 rows of bugs (2 features and the label column) to {link}\n"
    assert os.path.islink(link) and os.readlink(link) == "real/bugs.csv"
    assert target.read_text() == "width,length,label\n3,1,ladybird\n1,3,caterpillar\n"
    # a dangling link: the file it points to is created
    os.symlink("real/new.bin", tmp_path / "dangling.bin")
    write_atomically(tmp_path / "dangling.bin", b"\x00\x01")
    assert os.path.islink(tmp_path / "dangling.bin") and (tmp_path / "real" / "new.bin").read_bytes() == b"\x00\x01"
    assert leftovers(tmp_path) == leftovers(tmp_path / "real") == []


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664, 0o444])
def test_an_existing_files_permission_bits_are_kept(mode, tmp_path):
    target = tmp_path / "model.safetensors"
    target.write_bytes(b"old")
    os.chmod(target, mode)
    old_umask = os.umask(0o022)  # clears group write: the bits must come back all the same
    try:
        net = glassnet.Network([glassnet.Dense(2, 2, "softmax")], loss="cross_entropy", seed=0)
        net.save(target)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(os.stat(target).st_mode) == mode
    assert glassnet.load(target).n_parameters() == 6


def test_a_new_file_gets_the_umask_default(tmp_path):
    old_umask = os.umask(0o027)
    try:
        write_atomically(tmp_path / "new.csv", b"x")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(os.stat(tmp_path / "new.csv").st_mode) == 0o640


# ------------------------------------------------------------------ temporary files
def test_leftovers_of_dead_writers_are_removed_and_nothing_else(tmp_path):
    target = tmp_path / "model.safetensors"
    target.write_bytes(b"old")
    gone, me = dead_pid(), os.getpid()
    dead = tmp_path / f".model.safetensors{TMP_MARK}{gone}-{'ab' * 8}"
    old_live = tmp_path / f".model.safetensors{TMP_MARK}{me}-{'cd' * 8}"
    live = tmp_path / f".model.safetensors{TMP_MARK}{me}-{'ef' * 8}"
    kept = {
        "another target's": f".other.csv{TMP_MARK}{gone}-{'ab' * 8}",
        "not our random part": f".model.safetensors{TMP_MARK}{gone}-xyz",
        "no pid": f".model.safetensors{TMP_MARK}-{'ab' * 8}",
        "a backup": "model.safetensors.bak",
    }
    for path in (dead, old_live, live, *(tmp_path / name for name in kept.values())):
        path.write_bytes(b"partial")
    an_hour_ago = time.time() - 3600
    os.utime(old_live, (an_hour_ago, an_hour_ago))  # a live pid, but untouched for an hour: the pid was reused
    os.symlink(target, tmp_path / f".model.safetensors{TMP_MARK}{gone}-{'12' * 8}")  # a link is never removed
    write_atomically(target, b"new")
    left = sorted(os.listdir(tmp_path))
    assert left == sorted([target.name, live.name, *kept.values(), f".model.safetensors{TMP_MARK}{gone}-{'12' * 8}"])
    assert target.read_bytes() == b"new"
    assert remove_leftovers(target) == []


def test_an_error_in_the_middle_of_writing_leaves_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "predictions.csv"
    target.write_bytes(b"old")
    seen = []

    def failing_fsync(fd):
        seen.append(os.listdir(tmp_path))
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="Input/output error"):
        write_atomically(target, b"new")
    monkeypatch.undo()
    assert len(seen) == 1 and len(leftovers_in(seen[0])) == 1  # the temporary file was there, next to the target
    with pytest.raises(TypeError):
        write_atomically(target, "not bytes")
    assert os.listdir(tmp_path) == ["predictions.csv"] and target.read_bytes() == b"old"


def leftovers_in(names):
    return [n for n in names if TMP_MARK in n]


def signalling_fsync(monkeypatch, signum, seen):
    """os.fsync that sends ``signum`` to this process at its first call (the temporary file's, before the rename)."""
    real_fsync = os.fsync

    def fsync(fd):
        real_fsync(fd)
        if not seen:
            seen.append(signal.getsignal(signum))
            os.kill(os.getpid(), signum)

    monkeypatch.setattr(os, "fsync", fsync)


@pytest.fixture
def usual_sigint():
    """Ctrl-C as a fresh interactive Python has it (a run under nohup or in the background starts with it ignored)."""
    outer = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, outer)


def test_sigint_during_a_write_removes_the_temporary_file_and_raises_keyboard_interrupt(tmp_path, monkeypatch,
                                                                                         usual_sigint):
    target = tmp_path / "model.safetensors"
    target.write_bytes(b"old")
    before, seen = signal.getsignal(signal.SIGINT), []
    signalling_fsync(monkeypatch, signal.SIGINT, seen)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, b"new")
    assert seen[0] is not before  # a handler of the write's own, only while it lasted
    assert signal.getsignal(signal.SIGINT) is before
    assert os.listdir(tmp_path) == ["model.safetensors"] and target.read_bytes() == b"old"


def test_an_ignored_sigint_stays_ignored_during_a_write(tmp_path, monkeypatch):
    # a process started under nohup ignores Ctrl-C; a write must not turn it into a KeyboardInterrupt
    target = tmp_path / "model.safetensors"
    outer, seen = signal.signal(signal.SIGINT, signal.SIG_IGN), []
    try:
        signalling_fsync(monkeypatch, signal.SIGINT, seen)
        write_atomically(target, b"new")
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, outer)
    assert target.read_bytes() == b"new" and os.listdir(tmp_path) == ["model.safetensors"]


def test_sigterm_during_a_write_goes_to_the_handler_from_before_after_the_cleanup(tmp_path, monkeypatch):
    target = tmp_path / "model.safetensors"
    target.write_bytes(b"old")
    received = []

    def handler(signum, frame):
        received.append((signum, os.listdir(tmp_path)))

    old = signal.signal(signal.SIGTERM, handler)
    try:
        seen = []
        signalling_fsync(monkeypatch, signal.SIGTERM, seen)
        with pytest.raises(InterruptedError, match="was stopped by a signal; the file is as it was"):
            write_atomically(target, b"new")
        assert seen[0] is not handler and signal.getsignal(signal.SIGTERM) is handler
    finally:
        signal.signal(signal.SIGTERM, old)
    assert received == [(signal.SIGTERM, ["model.safetensors"])]  # cleaned up before the handler ran
    assert target.read_bytes() == b"old"


SIGTERM_SCRIPT = """
import os, signal, sys, time
from glassnet.files import write_atomically
real_fsync = os.fsync
def fsync(fd):
    real_fsync(fd)
    os.kill(os.getpid(), signal.SIGTERM)
os.fsync = fsync
write_atomically(sys.argv[1], b"new" * 100000)
print("not reached")
"""


def test_sigterm_with_its_default_ends_the_process_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "model.safetensors"
    target.write_bytes(b"old")
    proc = subprocess.run([sys.executable, "-c", SIGTERM_SCRIPT, str(target)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == -signal.SIGTERM and proc.stdout == ""
    assert os.listdir(tmp_path) == ["model.safetensors"] and target.read_bytes() == b"old"


def test_a_write_from_another_thread_works_without_signal_handlers(tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    errors = []

    def write():
        try:
            write_atomically(tmp_path / "t.csv", b"from a thread")
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    thread.join(30)
    assert errors == [] and (tmp_path / "t.csv").read_bytes() == b"from a thread"
    assert signal.getsignal(signal.SIGTERM) is before


KILL9_SCRIPT = """
import sys
import glassnet
net = glassnet.Network([glassnet.Dense(1500, 1500, "tanh"), glassnet.Dense(1500, 2, "softmax")],
                       loss="cross_entropy", seed=0)
k = 0
while True:
    k += 1
    net.layers[1].b[...] = k
    net.save(sys.argv[1])
    print(k, flush=True)
"""


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_killed_writer_leaves_the_old_or_the_new_complete_file_and_the_next_write_cleans_up(signum, tmp_path):
    target = tmp_path / "big.safetensors"  # 18 MB, written again and again until the kill
    size, found_leftovers = None, 0
    for delay in (0.0, 0.02, 0.05, 0.09, 0.13, 0.2):
        proc = subprocess.Popen([sys.executable, "-c", KILL9_SCRIPT, str(target)], stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "1"  # one complete write
            time.sleep(delay)
        finally:
            proc.send_signal(signum)
            proc.wait(30)
            proc.stdout.close()
        assert proc.returncode == -signum
        net = glassnet.load(target)  # never a part of a file
        size = size or os.path.getsize(target)
        assert os.path.getsize(target) == size
        b = net.layers[1].b
        assert b[0] == b[1] and b[0] >= 1 and float(b[0]).is_integer()
        assert np.isfinite(net.layers[0].W).all()
        if signum == signal.SIGTERM:
            assert leftovers(tmp_path) == []  # SIGTERM: the writer removed its own temporary file
        found_leftovers += len(leftovers(tmp_path))
        net.save(target)  # the next write removes what a writer killed outright left
        assert os.listdir(tmp_path) == ["big.safetensors"]
    print(f"{found_leftovers} of 6 kills with {signal.Signals(signum).name} left a temporary file behind")
