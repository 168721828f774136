"""The t2s fast path: a text without a witness character is returned as it is,
and every text gets exactly what OpenCC's t2s gives."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import opencc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazette.text import normalize

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location(
    "t2s_chars", ROOT / "scripts" / "opencc_t2s_chars.py"
)
script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(script)

_TOOL = Path(opencc.clib.__file__).parent / "bin" / "opencc_dict"
needs_tool = pytest.mark.skipif(
    not _TOOL.exists() and shutil.which("opencc_dict") is None,
    reason="OpenCC's opencc_dict tool is not installed",
)
CC = opencc.OpenCC("t2s")
PAD = "为贯彻落实国务院关于进一步加强政府信息公开工作的通知精神现将有关事项通知如下" * 3


def test_fast_path_is_on_for_the_installed_opencc():
    assert normalize._t2s_table() is not None
    text = PAD * 2
    assert normalize.simplified(text) is text


@needs_tool
def test_the_witness_file_matches_the_installed_opencc():
    version, chars = script.t2s_chars()
    shipped = (ROOT / "gazette" / "data" / "opencc_t2s_chars.txt").read_text(encoding="utf-8")
    assert shipped == script.render(version, chars)


@needs_tool
def test_every_changing_key_is_converted_in_a_long_text():
    keys = script.changing_keys()
    assert len(keys) > 5000
    for key in keys:
        text = PAD + key + PAD
        assert normalize.simplified(text) == CC.convert(text), key


_ALPHABET = list(PAD + "批覆藉口沈坏哩瞭甦衹得反复答覆發號於後著乾隆裏面台臺，。、\n 0123abc𠀀")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_ALPHABET, min_size=100, max_size=400), st.text(max_size=50))
def test_same_as_opencc(text, noise):
    text = text + noise
    assert normalize.simplified(text) == CC.convert(text)
