"""Every message one clear line (issue 9, item 6).

A message names the argument, says what was expected and what was given,
on one line: an array, a DataFrame, a long list or a dict by its type and
shape or size, never by its repr; a long text or a huge number cut short;
NumPy's own words never stand in for glassnet's. Covered elsewhere: a
complex init and a DataFrame init (test_bounded.py), one Dense object used
twice in a Network (test_config.py).
"""

import re
import warnings

import numpy as np
import pytest

import glassnet
from glassnet import datasets, metrics, preprocessing, tables
from glassnet.checks import describe, path_text, shown
from glassnet.data import load_csv, read_idx
from glassnet.memory import TooLarge

pd = pytest.importorskip("pandas")  # in the test extras

X_OK = np.arange(24, dtype=np.float64).reshape(6, 4) / 24
Y_OK = np.array([0, 1, 0, 1, 0, 1])
BEYOND_INT64 = 2**64  # NumPy keeps such an int as a Python object (dtype object)


def net():
    return glassnet.Network([glassnet.Dense(4, 3, "tanh"), glassnet.Dense(3, 2, "softmax")], seed=0)


def one_line(message):
    assert "\n" not in message and "\r" not in message, message
    assert len(message) < 400, message
    return message


# --------------------------------------------------------------- what describe says


@pytest.mark.parametrize(("value", "expected"), [
    ([1, 2], "[1, 2] (list)"),
    ([[1.0, 2.0], [3.0]], "[[1.0, 2.0], [3.0]] (list)"),
    (list(range(10_000)), "a list of 10,000 items"),
    ([[1, 2, 3, "a"]] * 6, "a list of shape (6, 4)"),
    ([[0.5] * 4] * 1000, "a list of shape (1,000, 4)"),
    (tuple(range(100)), "a tuple of 100 items"),
    ({f"k{i}": list(range(20)) for i in range(30)}, "a dict with 30 keys ('k0', 'k1', 'k2', ...)"),
    ({"name": np.ones((300, 300))}, "a dict with 1 key ('name')"),
    ({"a": 1}, "{'a': 1} (dict)"),
    ([10**5000], "a list of 1 item"),
    (10**5000, "<an integer of 16,610 bits> (int)"),
    ("x\ny", "'x\\ny' (str)"),
    (np.ones((300, 300)), "an array of shape (300, 300) and dtype float64"),
], ids=lambda value: value if isinstance(value, str) else type(value).__name__)
def test_describe_names_a_collection_by_its_size_not_its_items(value, expected):
    assert describe(value) == expected


def test_describe_of_a_long_string_or_a_huge_int_is_cut():
    assert describe("a" * 1000) == "'" + "a" * 56 + "... (str)"
    assert describe(10**400) == "1" + "0" * 56 + "... (int)"
    assert shown("a\nb" * 100, 20) == "'a\\nba\\nba\\nba\\nb..."


def test_a_path_is_shown_on_one_line():
    assert path_text("data/train.csv") == "data/train.csv"
    assert path_text("a\nb.csv") == "a\\nb.csv"
    assert path_text("x" * 500) == "x" * 60 + "..." + "x" * 57


# ------------------------------------------------------- the cases the issue lists


@pytest.mark.parametrize("form", ["list", "object array"])
@pytest.mark.parametrize("entry", ["predict", "predict_proba", "fit", "evaluate"])
def test_an_integer_beyond_64_bits_in_X_is_named(form, entry):
    rows = [[0.1, 0.2, 0.3, 0.4]] * 5 + [[0.1, BEYOND_INT64, 0.3, 0.4]]
    X = rows if form == "list" else np.array(rows, dtype=object)
    call = {
        "predict": lambda: net().predict(X),
        "predict_proba": lambda: net().predict_proba(X),
        "fit": lambda: net().fit(X, Y_OK, epochs=1),
        "evaluate": lambda: net().evaluate(X, Y_OK),
    }[entry]
    with pytest.raises(ValueError) as info:  # numbers, of a size nothing here holds
        call()
    message = one_line(str(info.value))
    assert message.startswith("X must be a 2-D numeric array, got ")
    assert "X[5, 1] is 18446744073709551616 (int), an integer beyond 64 bits" in message
    assert "np.asarray(X, dtype=float)" in message
    assert "ufunc" not in message and "isfinite" not in message


def test_an_integer_beyond_float64_in_X_is_named():
    with pytest.raises(ValueError, match=r"X\[0, 1\] is 10{56}\.\.\. \(int\), an integer too large for a float"):
        net().fit([[0.1, 10**400, 0.3, 0.4]] * 6, Y_OK, epochs=1)


def test_an_integer_beyond_64_bits_as_a_label_or_weight_is_named():
    y = [0, 1, 0, 1, 0, BEYOND_INT64]
    with pytest.raises(ValueError, match=r"^y must be numeric labels or a target matrix, got \[0, 1, 0, 1, 0, "
                                        r"18446744073709551616\] \(list\); y\[5\] is 18446744073709551616 \(int\)"):
        net().fit(X_OK, y, epochs=1)
    with pytest.raises(ValueError, match=r"sample_weight\[5\] is 18446744073709551616 \(int\), an integer beyond"):
        net().fit(X_OK, Y_OK, epochs=1, sample_weight=y)


@pytest.mark.parametrize("where", ["X", "validation_data X"])
def test_a_finite_number_beyond_float32_is_not_called_infinite(where):
    X = X_OK.copy()
    X[2, 3] = 1e39
    kwargs = {"validation_data": (X, Y_OK)} if where != "X" else {}
    with pytest.raises(ValueError) as info:
        net().fit(X if where == "X" else X_OK, Y_OK, epochs=1, **kwargs)
    message = one_line(str(info.value))
    assert message == f"{where}[2, 3] is 1e+39, beyond float32's range (+-3.4e38); scale the data, or use float64"
    assert "NaN" not in message and "infinite" not in message
    net().fit(X, Y_OK, epochs=1, dtype=np.float64)  # finite in float64: trained on


@pytest.mark.parametrize("where", ["y", "validation_data y"])
def test_a_regression_target_beyond_float32_is_named(where):
    regression = glassnet.Network([glassnet.Dense(4, 1, "linear")], loss="squared_error", seed=0)
    y = np.zeros(6)
    y[4] = -1e39
    kwargs = {"validation_data": (X_OK, y)} if where != "y" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # RuntimeWarning: overflow encountered in cast, then TrainingDiverged
        with pytest.raises(ValueError) as info:
            regression.fit(X_OK, y if where == "y" else np.zeros(6), epochs=1, **kwargs)
    assert one_line(str(info.value)) == (f"{where}[4, 0] is -1e+39, beyond float32's range (+-3.4e38); scale the "
                                         "data, or use float64")
    regression.fit(X_OK, y, epochs=1, dtype=np.float64)  # finite in float64: trained on


def test_a_long_or_huge_class_weight_is_cut():
    with pytest.raises(ValueError, match=r"^unknown class_weight 'a{56}\.\.\.; expected 'balanced' or a dict"):
        net().fit(X_OK, Y_OK, epochs=1, class_weight="a" * 1000)
    with pytest.raises(ValueError, match=r"^class_weight has key 10{56}\.\.\., but the classes are 0 to 1$"):
        net().fit(X_OK, Y_OK, epochs=1, class_weight={10**400: 1})


@pytest.mark.parametrize("entry", ["fit", "predict", "evaluate", "validation_data"])
def test_a_masked_array_is_refused_everywhere(entry):
    X = np.ma.masked_array(X_OK, mask=np.zeros_like(X_OK, dtype=bool))
    X.mask[1, 2] = X.mask[4, 0] = True
    call = {
        "fit": lambda: net().fit(X, Y_OK, epochs=1),
        "predict": lambda: net().predict(X),
        "evaluate": lambda: net().evaluate(X, Y_OK),
        "validation_data": lambda: net().fit(X_OK, Y_OK, epochs=1, validation_data=(X, Y_OK)),
    }[entry]
    name = "validation_data X" if entry == "validation_data" else "X"
    with pytest.raises(ValueError, match=f"^{name} is a masked array with 2 masked entries, which would be read as "
                                         r"numbers; fill them \(X.filled\(...\)\) or leave those rows out$"):
        call()


def test_a_data_frame_never_lands_in_a_message():
    frame = pd.DataFrame({"colour": ["red", "blue"] * 50, "size": np.arange(100.0)})
    calls = {
        "seed must be an integer, got a DataFrame of shape (100, 2)": [
            lambda: datasets.stairs(10, seed=frame), lambda: datasets.stairs4(10, seed=frame),
            lambda: datasets.train_test_split(X_OK, Y_OK, seed=frame), lambda: datasets.load("iris", seed=frame),
            lambda: glassnet.Network([glassnet.Dense(4, 2)], seed=frame),
        ],
        "unknown data set a DataFrame of shape (100, 2)": [lambda: datasets.load(frame)],
        "X must be a 2-D numeric array, got a DataFrame of shape (100, 2); X[0, 0] is 'red' (str), not a number": [
            lambda: net().predict(frame), lambda: preprocessing.Standardize().fit(frame),
        ],
        "lr must be a number, got a DataFrame of shape (100, 2)": [lambda: glassnet.SGD(lr=frame)],
    }
    for start, entries in calls.items():
        for call in entries:
            with pytest.raises((TypeError, ValueError)) as info:
                call()
            assert one_line(str(info.value)).startswith(start)
            assert "colour" not in str(info.value) and "blue" not in str(info.value)


# ---------------------------------------------------- refused before NumPy sees them


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix
def test_a_seed_numpy_cannot_take_is_refused_before_it_gets_there():
    # np.random.default_rng(np.matrix(...)) crashes the interpreter (NumPy 2.4); its TypeError prints the value
    with pytest.raises(TypeError, match=r"^seed must be an integer, got an array of shape \(2, 2\) and dtype float64$"):
        datasets.train_test_split(X_OK, Y_OK, seed=np.asmatrix(np.ones((2, 2))))
    with pytest.raises(TypeError, match=r"^seed must be an integer, got 'x\\ny' \(str\)$"):
        datasets.stairs(10, seed="x\ny")


def test_train_test_split_checks_what_it_is_given():
    with pytest.raises(ValueError, match=r"^y must be 1-D class labels to stratify by, got shape \(6, 4\)$"):
        datasets.train_test_split(X_OK, X_OK, stratify=True)
    with pytest.raises(ValueError, match=r"^y\[1\] is nan; class labels to stratify by must be finite$"):
        datasets.train_test_split(X_OK, [0, np.nan, 1, 0, 1, 0], stratify=True)
    with pytest.raises(TypeError, match=r"^y must be class labels of one kind to stratify by, got an array of shape"):
        datasets.train_test_split(X_OK, np.array([0, "a", 1, 0, 1, 0], dtype=object), stratify=True)
    with pytest.raises(TypeError, match=r"^X must be an array with one row per sample, got \[\[1, 2\], \[3\]\] "
                                        r"\(list\); its rows are of different lengths$"):
        datasets.train_test_split([[1, 2], [3]], [0, 1])
    with pytest.raises(ValueError, match=r"^test_fraction must be a finite number, got 10{56}\.\.\. \(int\)$"):
        datasets.train_test_split(X_OK, Y_OK, test_fraction=10**400)
    with pytest.raises(TypeError, match=r"^stratify must be True or False, got 'yes' \(str\)$"):
        datasets.train_test_split(X_OK, Y_OK, stratify="yes")
    X_train, X_test, _, _ = datasets.train_test_split(X_OK.tolist(), Y_OK.tolist(), 0.5)  # lists are arrays
    assert X_train.shape == X_test.shape == (3, 4)


def test_stairs_fraction_is_a_share():
    with pytest.raises(ValueError, match=r"^stairs_fraction must be a finite number, got inf \(float\)$"):
        datasets.stairs(10, stairs_fraction=float("inf"))
    with pytest.raises(ValueError, match=r"^stairs_fraction must be between 0 and 1, got 2.0$"):
        datasets.stairs(10, stairs_fraction=2)


def test_a_name_too_long_for_a_path_is_one_line():
    with pytest.raises(ValueError, match=r"^CSV file x{60}\.\.\.x{57}: File name too long$"):
        load_csv("x" * 5000)
    with pytest.raises(FileNotFoundError, match=r"^CSV file not found: a\\nb\.csv$"):
        load_csv("a\nb.csv")
    with pytest.raises(ValueError, match=r"^unknown data set 'a{56}\.\.\.; expected one of"):
        datasets.load("a" * 5000)


def test_a_file_whose_name_holds_a_newline_is_named_on_one_line(tmp_path):
    (tmp_path / "x\nbad.csv").write_text("a,b\n1,2\n3\n")
    with pytest.raises(ValueError, match=r"x\\nbad\.csv, row 3: expected 2 cells \(as in row 1\), got 1$"):
        load_csv(tmp_path / "x\nbad.csv")
    (tmp_path / "x\nbad.idx").write_bytes(b"\xff" * 8)
    with pytest.raises(ValueError, match=r"x\\nbad\.idx is not an IDX file: its magic number is 0xFFFFFFFF"):
        read_idx(tmp_path / "x\nbad.idx")
    with pytest.raises(ValueError, match=r"^.+ is a directory; expected an IDX file$"):
        read_idx(tmp_path)


@pytest.mark.parametrize("read", [glassnet.io.load, glassnet.io.inspect])
def test_a_model_file_path_is_named_on_one_line(tmp_path, read):
    with pytest.raises(FileNotFoundError, match=r"^model file x\\ny does not exist$"):
        read("x\ny")
    with pytest.raises(ValueError, match=r"^model file a{60}\.\.\.a{57}: File name too long$"):
        read("a" * 5000)  # OSError: [Errno 36] File name too long, with the whole name
    path = tmp_path / "bad\nname.safetensors"
    net().save(path)
    data = bytearray(path.read_bytes())
    data[-1] ^= 1  # a weight's last byte: the checksum no longer matches
    path.write_bytes(bytes(data))
    with pytest.raises(glassnet.ModelFileError, match=r"bad\\nname\.safetensors is a damaged glassnet model file: "
                                                      r"its contents do not match the checksum") as info:
        read(path)
    one_line(str(info.value))
    (tmp_path / "empty\n.safetensors").write_bytes(b"")
    with pytest.raises(glassnet.ModelFileError, match=r"empty\\n\.safetensors is not a glassnet model file"):
        read(tmp_path / "empty\n.safetensors")


def test_a_long_column_name_or_cell_is_cut(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,label\n1,2,x\n" + "y" * 5000 + ",2,x\n")
    with pytest.raises(ValueError) as info:
        load_csv(path)
    assert one_line(str(info.value)).endswith("row 3, column 1 ('a'): expected a number, got '" + "y" * 56 + "...")
    with pytest.raises(ValueError, match=r"^target 'z{56}\.\.\. is not a column of .*t\.csv; its columns are "
                                         r"\['a', 'b', 'label'\]$"):
        load_csv(path, target="z" * 5000)
    with pytest.raises(ValueError, match=r"^target index 10{56}\.\.\. is out of range"):
        load_csv(path, target=10**400)


def test_a_table_path_is_named_on_one_line(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"^CSV file not found: x\\ny$"):
        glassnet.tables.read_table("x\ny")
    with pytest.raises(ValueError, match=r"^CSV file a{60}\.\.\.a{57}: File name too long$"):
        glassnet.tables.read_table("a" * 5000)  # OSError: [Errno 36] File name too long, with the whole name
    path = tmp_path / "x\ny.csv"
    path.write_text("a,b,y\n1,2,0\n,4,1\n5,6,0\n7,8,1\n")
    with pytest.raises(tables.MissingValues, match=r"^column 'a' has 1 missing cell \(first at line 3 of .+x\\ny\.csv\)"
                       ) as info:
        tables.prepare(tables.read_table(path), "y")
    one_line(str(info.value))
    path.write_text("a,b,y\n1,2,0\n3,4\n")
    with pytest.raises(ValueError, match=r"^line 3 of .+x\\ny\.csv has 2 cells, expected 3") as info:
        tables.read_table(path)
    one_line(str(info.value))


TABLE = {"a": [1.0, 2, 3, 4, 5, 6], "b": [0, 1, 0, 1, 0, 1]}


@pytest.mark.parametrize(("kwargs", "error", "expected"), [
    ({"target": "a" * 5000}, ValueError, r"^target 'a{56}\.\.\. is not a column of the table; its columns are "
                                         r"\['a', 'b'\]$"),
    ({"target": "1" * 5000}, ValueError, r"^target '1{56}\.\.\. is not a column of the table"),  # int() refused it
    ({"target": 10**400}, ValueError, r"^target index 10{56}\.\.\. is out of range: the table has 2 columns"),
    ({"target": "b", "categorical": 2**64}, TypeError, r"^categorical must be a list of column names, got "
                                                       r"18446744073709551616 \(int\)$"),  # 'int' is not iterable
    ({"target": "b", "categorical": 7}, TypeError, r"^categorical must be a list of column names, got 7 \(int\)$"),
    ({"target": "b", "numeric": 7}, TypeError, r"^numeric must be a list of column names, got 7 \(int\)$"),
    ({"target": "b", "ignore": 7}, TypeError, r"^ignore must be a list of column names or indexes, got 7 \(int\)$"),
    ({"target": "b", "say": 1}, TypeError, r"^say must be None or a function that names an argument"),
    ({"target": "b", "numeric": ["c" * 5000]}, ValueError, r"^numeric: 'c{56}\.\.\. is not a column; the features"),
])
def test_prepare_names_a_bad_argument_in_one_short_line(kwargs, error, expected):
    with pytest.raises(error, match=expected) as info:
        tables.prepare(TABLE, **kwargs)
    one_line(str(info.value))


def test_an_integer_beyond_float64_in_a_table_is_named():
    prepared = tables.prepare({"a": [1.0, 2, 3, 4], "c": ["x", "y", "x", "y"], "y": [0, 1, 0, 1]}, "y", test_split=0)
    model = glassnet.Network([glassnet.Dense(prepared.n_inputs, 2, "softmax")], seed=0)
    model.preprocessing = prepared.preprocessing()
    with pytest.raises(ValueError, match=r"^row 0 of X column 0 is 10{56}\.\.\. \(int\), an integer too large for a "
                                         r"float \(over 1\.8e308\): scale the data$"):
        model.predict([[10**400, "x"]])  # OverflowError: int too large to convert to float
    with pytest.raises(ValueError, match=r"^row 1 of X\['a'\] is 10{56}\.\.\. \(int\), an integer too large"):
        tables.Columns().fit({"a": [1, 10**400]})
    with pytest.raises(TypeError, match=r"^X must be a 2-D table, got \[\[1, 2\], \[3\]\] \(list\); its rows are of "
                                        r"different lengths$"):
        tables.Columns().fit([[1, 2], [3]])  # NumPy's "inhomogeneous shape"


@pytest.mark.parametrize(("call", "error", "expected"), [
    (lambda: glassnet.format_number("a" * 1000), TypeError, r"^x must be a real number, got 'a{56}\.\.\. \(str\)$"),
    (lambda: glassnet.format_number(10**400), ValueError, r"^x is 10{56}\.\.\. \(int\), an integer too large for a "
                                                          r"float \(over 1\.8e308\)$"),  # OverflowError
    (lambda: glassnet.format_number(1.0, 2**64), ValueError, r"^decimals must be a whole number from 0 to 1000, got "),
    (lambda: glassnet.format_matrix([[1, 2], [3]]), TypeError, r"^M must be a number, a vector or a matrix of numbers, "
                                                               r"got \[\[1, 2\], \[3\]\] \(list\); its rows are of "
                                                               r"different lengths$"),  # "inhomogeneous shape"
    (lambda: glassnet.format_matrix([[1, 10**400]]), ValueError, r"^M must be .*; M\[0, 1\] is 10{56}\.\.\. \(int\), "
                                                                 r"an integer too large for a float"),
    (lambda: glassnet.format_matrix(np.zeros((2, 2, 2))), ValueError, r"^M must be a number, a vector or a matrix "
                                                                      r"\(at most 2-D\), got shape \(2, 2, 2\)$"),
])
def test_rendering_names_what_it_cannot_render(call, error, expected):
    with pytest.raises(error, match=expected) as info:
        call()
    one_line(str(info.value))
    assert glassnet.format_matrix([[1.5, -0.0], [2, 3]], "Z", 2) == "Z = [ 1.50  0.00 ]\n    [ 2.00  3.00 ]"


def test_an_optimizer_step_names_what_it_was_given():
    with pytest.raises(TypeError, match=r"^params must be a list of arrays \(as Network\.parameters\(\) gives\), got "
                                        r"None \(NoneType\)$"):
        glassnet.SGD().step(None, None)  # 'NoneType' object is not iterable
    with pytest.raises(ValueError, match=r"^grads\[1\] has shape \(3,\) but params\[1\] has shape \(2,\); they must "
                                         r"match$"):
        glassnet.Adam().step([np.zeros((2, 2)), np.zeros(2)], [np.zeros((2, 2)), np.zeros(3)])
    with pytest.raises(ValueError, match=r"^params has 2 arrays but grads has 1; give one gradient per parameter$"):
        glassnet.SGD().step([np.zeros(2), np.zeros(2)], [np.zeros(2)])  # zip stopped at the shorter: one not updated


def test_epochs_beyond_a_billion_are_refused():
    with pytest.raises(ValueError, match=r"^epochs must be at most 1,000,000,000, got 18446744073709551616 \(int\): a "
                                         r"run that long would not end$"):
        net().fit(X_OK, Y_OK, epochs=2**64)  # trained, for ever
    net().fit(X_OK, Y_OK, epochs=1)


def test_labels_beyond_int64_are_refused_not_wrapped():
    with pytest.raises(ValueError, match=r"^y_true\[0\] is 1e\+39; class labels must be whole numbers 0$"):
        metrics.confusion_counts([1e39, 0], [0, 0])


def test_what_would_not_fit_in_memory_is_refused_in_one_line():
    with pytest.raises(TooLarge, match=r"^a confusion matrix of 18,446,744,073,709,551,616 classes would take about"):
        metrics.confusion_counts([0, 1], [0, 1], n_classes=2**64)
    with pytest.raises(TooLarge, match=r"^a list of the rates of 18,446,744,073,709,551,616 epochs would take"):
        glassnet.StepDecay().rates(2**64, 0.1)


def test_odd_init_arrays_are_named():
    with pytest.raises(ValueError, match=r"^init array holds an integer too large for a float, in a list of shape "
                                         r"\(2, 2\)$"):
        glassnet.Dense(2, 2, init=[[1, 10**400], [1, 2]])
    with pytest.raises(TypeError, match=r"^init array must be numeric, got \[\[1, 2\], \[3\]\] \(list\); its rows are "
                                        r"of different lengths$"):
        glassnet.Dense(2, 2, init=[[1, 2], [3]])


def test_ragged_labels_and_outputs_are_named():
    with pytest.raises(TypeError, match=r"^y must be numeric labels or a target matrix, got \[\[0, 1\], \[1\]\] "
                                        r"\(list\); its rows are of different lengths$"):
        net().fit(X_OK[:2], [[0, 1], [1]], epochs=1)
    with pytest.raises(TypeError, match=r"^Yhat must be a 2-D array of numbers, got \[\['a', 'b'\]\] \(list\); "
                                        r"Yhat\[0, 0\] is 'a' \(str\), not a number$"):
        metrics.classes([["a", "b"]])
    with pytest.raises(TypeError, match=r"^Y must be a 2-D array of numbers, got \[\[None\]\] \(list\)"):
        metrics.n_correct([[0.3, 0.7]], [[None]])


def test_a_long_unknown_choice_is_cut():
    with pytest.raises(ValueError, match=r"^unknown monitor 'a{56}\.\.\.; expected one of \['val_accuracy', "):
        glassnet.EarlyStopping(3, monitor="a" * 5000)


@pytest.mark.parametrize("make", [
    lambda: glassnet.Network([glassnet.Dense(4, 2)], loss="a" * 5000),
    lambda: glassnet.Dense(4, 2, activation="a" * 5000),
    lambda: glassnet.Dense(4, 2, init="a" * 5000),
    lambda: glassnet.optimizers.get_optimizer("a" * 5000),
    lambda: glassnet.schedules.get_schedule("a" * 5000),
    lambda: net().fit(X_OK, Y_OK, epochs=1, schedule="a" * 1000),
    lambda: glassnet.Network.from_config({"layers": ["a" * 1000]}),
])
def test_a_long_unknown_name_is_cut(make):
    with pytest.raises(ValueError, match=r"unknown \w+ 'a{56}\.\.\.; expected one of \[") as info:
        make()
    one_line(str(info.value))


def test_long_unknown_settings_are_cut():
    with pytest.raises(ValueError, match=r"^optimizer 'sgd' has no setting \[1, 'x{36}\.\.\.\]; its settings") as info:
        glassnet.optimizers.get_optimizer({"name": "sgd", 1: 2, "x" * 5000: 3})  # keys of two types: sorted by str
    one_line(str(info.value))
    with pytest.raises(ValueError, match=r"^init 'uniform' has no setting \['k0', 'k1', 'k10', 'k100', 'k101', \.\.\.\]"
                                         r"; its settings are \['low', 'high'\]$"):
        glassnet.Dense(4, 2, init={"name": "uniform", **{f"k{i}": i for i in range(300)}})


# ---------------------------------------------------- a broad sweep of bad inputs


def bad_values():
    rng = np.random.default_rng(0)
    masked = np.ma.masked_array(rng.random((6, 4)), mask=rng.random((6, 4)) < 0.3)
    return {
        "newline text": "two\nlines",
        "control characters": "a\x1b[2Jb",
        "long text": "x" * 1000,
        "2**64": BEYOND_INT64,
        "10**400": 10**400,
        "nan": float("nan"),
        "complex": 1 + 2j,
        "None": None,
        "big dict": {f"k{i}": list(range(20)) for i in range(30)},
        "long list": list(range(10_000)),
        "nested list of 2**64": [[1, BEYOND_INT64, 3, 4]] * 6,
        "object array of 10**400": np.array([[1, 10**400, 3, 4]] * 6, dtype=object),
        "ragged list": [[1, 2, 3, 4], [3]],
        "text DataFrame": pd.DataFrame({"colour": ["red", "blue"] * 50, "size": np.arange(100.0)}),
        "Series": pd.Series(np.arange(100.0)),
        "masked array": masked,
        "complex array": rng.random((6, 4)) + 1j,
        "3-D array": rng.random((6, 4, 2)),
        "string array": np.array([["a", "b", "c", "d"]] * 6),
    }


BAD = bad_values()


def entries():
    """argument name -> a call that passes the value as that argument (and everything else right)."""
    return {
        "X (predict)": ("X", lambda v: net().predict(v)),
        "X (predict_proba)": ("X", lambda v: net().predict_proba(v)),
        "X (fit)": ("X", lambda v: net().fit(v, Y_OK, epochs=1)),
        "X (evaluate)": ("X", lambda v: net().evaluate(v, Y_OK)),
        "y (fit)": ("y", lambda v: net().fit(X_OK, v, epochs=1)),
        "y (evaluate)": ("y", lambda v: net().evaluate(X_OK, v)),
        "sample_weight": ("sample_weight", lambda v: net().fit(X_OK, Y_OK, epochs=1, sample_weight=v)),
        "validation_data X": ("validation_data X",
                              lambda v: net().fit(X_OK, Y_OK, epochs=1, validation_data=(v, Y_OK))),
        "epochs": ("epochs", lambda v: net().fit(X_OK, Y_OK, epochs=v)),
        "params (SGD.step)": ("params", lambda v: glassnet.SGD().step(v, [np.zeros(2)])),
        "grads (Adam.step)": ("grads", lambda v: glassnet.Adam().step([np.zeros((6, 4))], v)),
        "batch_size": ("batch_size", lambda v: net().fit(X_OK, Y_OK, epochs=1, batch_size=v)),
        "validation_split": ("validation_split", lambda v: net().fit(X_OK, Y_OK, epochs=1, validation_split=v)),
        "n_in": ("n_in", lambda v: glassnet.Dense(v, 2)),
        "bias": ("bias", lambda v: glassnet.Dense(4, 2, bias=v)),
        "seed (Network)": ("seed", lambda v: glassnet.Network([glassnet.Dense(4, 2)], seed=v)),
        "seed (stairs)": ("seed", lambda v: datasets.stairs(10, seed=v)),
        "n (stairs)": ("n", lambda v: datasets.stairs(v)),
        "lr": ("lr", lambda v: glassnet.SGD(lr=v)),
        "beta1": ("beta1", lambda v: glassnet.Adam(beta1=v)),
        "factor": ("factor", lambda v: glassnet.StepDecay(factor=v)),
        "std": ("std", lambda v: glassnet.Normal(std=v)),
        "max_value": ("max_value", lambda v: preprocessing.RashidScale(max_value=v)),
        "X (Standardize)": ("X", lambda v: preprocessing.Standardize().fit(v)),
        "X (MinMax.transform)": ("X", lambda v: preprocessing.MinMax().fit(X_OK).transform(v)),
        "y (one_hot)": ("y", lambda v: preprocessing.one_hot(v, 2)),
        "y_true": ("y_true", lambda v: metrics.confusion_counts(v, [0, 1])),
        "Y": ("Y", lambda v: metrics.regression_scores(v, [1.0, 2.0])),
        "test_fraction": ("test_fraction", lambda v: datasets.train_test_split(X_OK, Y_OK, test_fraction=v)),
        "layers": ("layers", lambda v: glassnet.Network(v)),
        "monitor": ("monitor", lambda v: glassnet.EarlyStopping(3, monitor=v)),
        "network config": ("network config", lambda v: glassnet.Network.from_config(v)),
    }


ENTRIES = entries()
# What an entry takes: None for its default, 2**64 as a seed, a positive number or a batch size (one batch), a
# 1-D list or Series as one feature per row; everything else is refused (epochs=2**64 too: it would train for ever)
ACCEPTED = {
    ("sample_weight", "None"), ("batch_size", "None"), ("seed (Network)", "None"), ("seed (stairs)", "None"),
    ("seed (Network)", "2**64"), ("seed (stairs)", "2**64"), ("lr", "2**64"), ("std", "2**64"),
    ("max_value", "2**64"), ("X (Standardize)", "long list"), ("X (Standardize)", "Series"), ("batch_size", "2**64"),
}
# A message that names the argument by what it makes (the memory refusal of a layer)
NAMED_BY = {("n_in", "2**64"): "Dense(18,446,744,073,709,551,616, 2)"}
CASES = [(e, v) for e in ENTRIES for v in BAD if (e, v) not in ACCEPTED]


@pytest.mark.parametrize(("entry", "value"), CASES, ids=[f"{e}={v}" for e, v in CASES])
def test_every_message_is_one_line_naming_the_argument(entry, value):
    name, call = ENTRIES[entry]
    with pytest.raises((TypeError, ValueError)) as info:
        call(BAD[value])
    message = one_line(str(info.value))
    name = NAMED_BY.get((entry, value), name)
    assert re.search(rf"(^|\W){re.escape(name)}(\W|$)", message), message
    assert not re.search(r"(?<!as)array\(", message) and "blue" not in message  # no repr of an array or of rows
    assert "ufunc" not in message and "inhomogeneous" not in message  # nor NumPy's words
