"""Run by the extension with the chosen interpreter before it starts the server: can it run provguard?

Prints one JSON object: the Python version, where provguard comes from ("environment" when the interpreter
has its own, "bundled" for the copy in the .vsix) and, when the server could not start, the missing
compiled packages (the pip requirements to install) or the error. Checking every compiled package, rather
than stopping at the first ImportError, lets one message name all of them.

    python check.py LIBS LIBS_JSON fromEnvironment|useBundled
"""

import importlib
import importlib.util
import json
import platform
import sys


def main() -> None:
    libs, listing, strategy = sys.argv[1:4]
    report = {"python": platform.python_version(), "executable": sys.executable, "missing": [], "error": None}
    if sys.version_info < (3, 11):  # noqa: UP036  (this runs with whatever interpreter was chosen)
        report["error"] = f"provguard needs Python 3.11 or later; this is {report['python']}"
        print(json.dumps(report))
        return
    bundled = strategy == "useBundled" or importlib.util.find_spec("provguard") is None
    report["source"] = "bundled" if bundled else "environment"
    if bundled:
        sys.path.insert(0, libs)
        with open(listing, encoding="utf-8") as f:
            compiled = json.load(f)["compiled"]
        for package in compiled:
            for module in package["modules"]:
                try:
                    importlib.import_module(module)
                except Exception as error:  # an ImportError, or a broken build of the package
                    report["missing"].append({"requirement": package["requirement"], "error": f"{module}: {error}"})
                    break
    if not report["missing"]:
        try:
            import provguard
            import provguard.lsp.server  # everything `provguard serve` imports

            report["version"] = provguard.__version__
        except Exception as error:
            report["error"] = f"{type(error).__name__}: {error}"
    print(json.dumps(report))


if __name__ == "__main__":
    main()
