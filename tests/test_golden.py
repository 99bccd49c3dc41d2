"""The sample site, built at a fixed moment, must equal the golden files byte for byte.
After an intended change: ``python tests/golden_site.py`` and review the diff."""

import difflib

from golden_site import GOLDEN, build_sample, read_tree


def test_sample_site_matches_golden_output(tmp_path):
    build_sample(tmp_path / "out")
    built = read_tree(tmp_path / "out")
    golden = read_tree(GOLDEN)
    assert sorted(built) == sorted(golden), "the set of output files changed"
    changed = [rel for rel in golden if built[rel] != golden[rel]]
    if changed:
        first = changed[0]
        diff = "\n".join(difflib.unified_diff(
            golden[first].decode().splitlines(), built[first].decode().splitlines(),
            "golden/" + first, "built/" + first, lineterm="", n=2))
        raise AssertionError(f"{len(changed)} files differ, first {first}:\n{diff[:4000]}")
