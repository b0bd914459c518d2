"""Reading Codex's apply_patch format, and agents' paths from any system."""

from __future__ import annotations

from provguard.provenance.transcripts import paths
from provguard.provenance.transcripts.apply_patch import FilePatch, parse_patch


def test_a_patch_names_its_files_and_the_text_each_gains() -> None:
    patch = parse_patch("*** Begin Patch\n*** Add File: a.py\n+x = 1\n+\n*** Update File: b.py\n*** Move to: c.py\n"
                        "@@ def f():\n     keep\n-    old\n+    new\n*** End of File\n*** Delete File: d.py\n"
                        "*** End Patch\n")

    assert patch.files == (FilePatch("add", "a.py", "x = 1\n\n"), FilePatch("update", "b.py", "    new\n", "c.py"),
                           FilePatch("delete", "d.py"))
    assert patch.files[1].target == "c.py" and patch.problems == ()


def test_a_patch_inside_a_shell_heredoc_is_found() -> None:
    patch = parse_patch("apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: x.txt\n+hi\n*** End Patch\nEOF\n")

    assert patch.files == (FilePatch("add", "x.txt", "hi\n"),)


def test_a_malformed_patch_keeps_what_it_can_and_says_where_it_is_wrong() -> None:
    patch = parse_patch("*** Begin Patch\nstray\n*** Add File:\n*** Add File: ok.py\n+fine\n*** Update File: u.py\n"
                        "?? what\n")

    assert patch.files == (FilePatch("add", "ok.py", "fine\n"), FilePatch("update", "u.py"))
    assert [(p.line, p.reason) for p in patch.problems] == [
        (2, "text outside any file section"), (3, "'*** Add File:' names no file"),
        (7, "unexpected line in update of u.py"), (7, "no '*** End Patch' line")]
    assert [str(p) for p in parse_patch("no patch").problems] == ["patch line 1: no '*** Begin Patch' line"]


def test_windows_paths_get_forward_slashes_and_compare_without_case() -> None:
    roots = ("C:/Users/Dana/work/shop",)
    assert paths.project_path("c:\\users\\dana\\work\\shop\\src\\App.ts", roots) == "src/App.ts"
    assert paths.project_path("D:\\other\\x.ts", roots) == "D:/other/x.ts"
    assert paths.resolve("src\\x.ts", "C:\\Users\\Dana\\work\\shop") == "C:/Users/Dana/work/shop/src/x.ts"
    assert paths.project_path("\\\\server\\share\\x.py", roots) == "//server/share/x.py"


def test_posix_paths_are_relative_only_inside_the_root() -> None:
    roots = ("/home/dana/work/shop",)
    assert paths.project_path("/home/dana/work/shop/src/../lib/a.py", roots) == "lib/a.py"
    assert paths.project_path("/home/dana/work/shop-old/a.py", roots) == "/home/dana/work/shop-old/a.py"
    assert paths.resolve("../other/a.py", "/home/dana/work/shop") == "/home/dana/work/other/a.py"
    assert paths.resolve("a.py", None) == "a.py"
