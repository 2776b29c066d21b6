# SPDX-License-Identifier: BSD-3-Clause
# make test runs pytest on two workers (python3-pytest-xdist, --dist
# loadgroup). Most tests own what they touch: a tmp_path, a run's own
# directory (run-qemu.sh makes one per run, with its gdb socket and script),
# a build/ARCH* directory that only they change (mk/image.mk gives NOLOCK=1
# and another HEAP_SIZE their own). The ones here share something the
# repository has one of, so they run one after another on one worker:
#   build/heapmap*, build/heapview*, build/lab, build/check-lab, build/demo.log:
#   what make heapmap, make heapview, make lab and make check-lab write,
#   which the docs' sessions also run;
#   build/dist, build/lib: what make dist, make lib and make install write,
#   which test_lib.py, test_component.py and docs/porting.md's sessions run.
import pytest

SHARED_FILES = {"test_docs.py", "test_checklab.py", "test_heapmap.py", "test_heapview.py",
                "test_lib.py", "test_component.py"}


def shares_the_repository(item):
    return item.path.name in SHARED_FILES


# tryfirst: xdist's own hook, which files each marked test under its group,
# must see the marks.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    for item in items:
        if shares_the_repository(item):
            item.add_marker(pytest.mark.xdist_group("repository"))
