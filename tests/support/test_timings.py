import pytest

from tests.support.timings import directory_of


@pytest.mark.parametrize(
    ("nodeid", "directory"),
    [
        ("tests/oversight/flags/test_job.py::test_one", "tests/oversight/flags"),
        ("tests/oversight/flags/deep/test_x.py::test_one[a/b]", "tests/oversight/flags"),
        ("tests/access/test_files.py::TestX::test_y", "tests/access"),
        ("tests/test_top.py::test_z", "tests"),
    ],
)
def test_a_test_counts_towards_its_directory_two_levels_under_tests(nodeid, directory):
    assert directory_of(nodeid) == directory
