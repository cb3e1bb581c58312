"""Model files checked end to end (issue 9, item 5): a checksum over everything, strings shown safely."""

import json

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

import glassnet
from glassnet.cli import main
from glassnet.modelfile import CHECKSUM_KEY, METADATA_KEY


@pytest.fixture
def model(tmp_path):
    net = glassnet.Network([glassnet.Dense(2, 3, "tanh"), glassnet.Dense(3, 2, "softmax")], seed=0)
    net.class_names = ["\x1b[2Jclear", "=HYPERLINK(\"http://x\")"]
    net.notes = {"data": "d\x07.csv"}
    path = tmp_path / "m.safetensors"
    net.save(path)
    return path, net


def test_every_flipped_bit_is_refused(model, tmp_path):
    path, _ = model
    data = path.read_bytes()
    damaged = tmp_path / "d.safetensors"
    loaded = []
    for bit in range(0, len(data) * 8, 3):  # every third bit of the file: header, description and weights
        flipped = bytearray(data)
        flipped[bit // 8] ^= 1 << (bit % 8)
        damaged.write_bytes(bytes(flipped))
        try:
            glassnet.load(damaged)
        except glassnet.ModelFileError:
            continue
        loaded.append(bit)
    assert loaded == []


def test_a_weight_changed_with_a_valid_container_is_refused_by_the_checksum(model, tmp_path):
    path, _ = model
    from safetensors import safe_open

    with safe_open(path, framework="numpy") as f:
        metadata = f.metadata()
    tensors = load_file(path)
    tensors["layers.0.W"][0, 0] += 1e-7
    save_file(tensors, tmp_path / "edited.safetensors", metadata=metadata)
    with pytest.raises(glassnet.ModelFileError, match="do not match the checksum saved with them"):
        glassnet.load(tmp_path / "edited.safetensors")
    # a file from before checksums (no such entry) still loads; an unknown entry is refused
    del metadata[CHECKSUM_KEY]
    save_file(load_file(path), tmp_path / "old.safetensors", metadata=metadata)
    assert glassnet.load(tmp_path / "old.safetensors").class_names[0] == "\x1b[2Jclear"
    save_file(load_file(path), tmp_path / "odd.safetensors", metadata={**metadata, "extra": "1"})
    with pytest.raises(glassnet.ModelFileError, match="metadata entries glassnet does not write"):
        glassnet.load(tmp_path / "odd.safetensors")


def test_nan_weights_are_refused_even_without_a_checksum(model, tmp_path):
    path, _ = model
    from safetensors import safe_open

    with safe_open(path, framework="numpy") as f:
        metadata = f.metadata()
    tensors = load_file(path)
    tensors["layers.1.b"][0] = np.nan
    save_file(tensors, tmp_path / "nan.safetensors", metadata={METADATA_KEY: metadata[METADATA_KEY]})
    with pytest.raises(glassnet.ModelFileError, match="tensor layers.1.b contains NaN or infinite values"):
        glassnet.load(tmp_path / "nan.safetensors")


def test_strings_from_a_model_file_are_shown_escaped(model, tmp_path, capsys):
    path, _ = model
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "classes: \\x1b[2Jclear, =HYPERLINK(\"http://x\")" in out
    assert "trained on: d\\x07.csv" in out
    assert json.loads(main(["inspect", str(path), "--json"]) or capsys.readouterr().out)["class_names"][0] == \
        "\x1b[2Jclear"  # JSON escapes control characters itself


def test_prediction_csv_cells_cannot_run_as_spreadsheet_formulas(model, tmp_path, capsys):
    path, _ = model
    data = tmp_path / "x.csv"
    data.write_text("1,2\n3,4\n")
    assert main(["predict", str(path), "--data", str(data)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == 'row,prediction,p_\\x1b[2Jclear,"p_=HYPERLINK(""http://x"")"'
    for line in lines[1:]:
        cell = line.split(",")[1]
        assert cell in ("\\x1b[2Jclear", "\"'=HYPERLINK(\"\"http://x\"\")\"")
