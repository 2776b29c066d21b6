# SPDX-License-Identifier: BSD-3-Clause
# tools/test_repeat.py (make test-repeat) finds a test whose verdict changes
# from one round to the next, and names no test whose verdict did not.
#   /usr/bin/python3 -m pytest tests/test_repeat.py
import subprocess
from pathlib import Path

TOOL = Path(__file__).resolve().parents[1] / "tools" / "test_repeat.py"

FLAKY = '''
from pathlib import Path

def test_steady():
    pass

def test_flips():
    n = Path(__file__).with_name("count")
    k = int(n.read_text()) if n.exists() else 0
    n.write_text(str(k + 1))
    assert k % 2 == 0
'''


def repeat(tmp_path, *args):
    return subprocess.run(["/usr/bin/python3", str(TOOL), "--rounds", "2", "--jobs", "1",
                           "--out", str(tmp_path / "out"), *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)


def test_a_changed_verdict_is_reported(tmp_path):
    (tmp_path / "test_x.py").write_text(FLAKY)
    p = repeat(tmp_path, "test_x.py")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "test-repeat: CHANGED test_x::test_flips: passed, failed" in p.stdout, p.stdout
    assert "test_steady" not in p.stdout.replace("2 tests", ""), p.stdout
    assert "2 tests, 2 rounds on 1 workers: 1 changed verdict, 0 failed every round" in p.stdout
