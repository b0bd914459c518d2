"""Names a framework makes every file write (React Native's `ReactProp`, `getName`, `createViewInstance`) are no
sign of a copy: two files built on the same framework API are not a copy of each other, while code copied from
one of them is still found."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance import matching
from snippet_support import recorded, regions


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[SqliteLedger]:
    store = SqliteLedger(tmp_path / "ledger.sqlite3")
    yield store
    store.close()


def view_manager(cls: str, view: str, props: list[str]) -> str:
    """A React Native view manager as an agent writes one per native view: the same scaffolding and setters."""
    setters = "".join(f"""
    @ReactProp(name = "{p}")
    public void set{p[0].upper() + p[1:]}({view} view, @Nullable ReadableMap value) {{
        if (value == null) {{
            view.reset{p[0].upper() + p[1:]}();
            return;
        }}
        view.set{p[0].upper() + p[1:]}(value.getDouble("{p}"), value.hasKey("smooth") && value.getBoolean("smooth"));
    }}
""" for p in props)
    return f"""package com.example.{cls.lower()};

import com.facebook.react.bridge.ReadableMap;
import com.facebook.react.uimanager.SimpleViewManager;
import com.facebook.react.uimanager.ThemedReactContext;
import com.facebook.react.uimanager.annotations.ReactProp;

public class {cls} extends SimpleViewManager<{view}> {{
    public static final String REACT_CLASS = "{cls}";

    @Override
    public String getName() {{
        return REACT_CLASS;
    }}

    @Override
    protected {view} createViewInstance(ThemedReactContext context) {{
        return new {view}(context);
    }}
{setters}}}
"""


RECORDED = [
    ("android/src/main/java/com/example/MapMarkerManager.java",
     view_manager("MapMarkerManager", "MapMarkerView", ["anchor", "calloutOffset", "rotation"])),
    ("android/src/main/java/com/example/ChartAxisManager.java",
     view_manager("ChartAxisManager", "ChartAxisView", ["tickSpacing", "labelInset", "gridAlpha"])),
    ("android/src/main/java/com/example/GaugeManager.java",
     view_manager("GaugeManager", "GaugeView", ["needleAngle", "arcWidth", "dialRadius"])),
]

HELPER = """\
static double settleBearing(MarkerGeometry geometry, double heading, double drift) {
    double bearing = geometry.normalizeDegrees(heading + drift);
    if (geometry.isPolar()) {
        bearing = geometry.polarCorrection(bearing, geometry.latitude());
    }
    while (bearing >= 360.0) {
        bearing -= 360.0;
    }
    return geometry.snapToCompass(bearing, MarkerGeometry.COMPASS_STEPS);
}
"""

OTHER_MANAGER = """\
package com.example.pager;

import com.facebook.react.bridge.ReadableMap;
import com.facebook.react.uimanager.SimpleViewManager;
import com.facebook.react.uimanager.ThemedReactContext;
import com.facebook.react.uimanager.annotations.ReactProp;

public class ScrollPagerManager extends SimpleViewManager<ScrollPagerView> {
    public static final String REACT_CLASS = "ScrollPager";
    private final PagerRegistry registry;

    public ScrollPagerManager(PagerRegistry registry) {
        this.registry = registry;
    }

    @Override
    public String getName() {
        return REACT_CLASS;
    }

    @Override
    protected ScrollPagerView createViewInstance(ThemedReactContext context) {
        ScrollPagerView pager = new ScrollPagerView(context);
        registry.track(pager);
        return pager;
    }

    @ReactProp(name = "pageMargin")
    public void setPageMargin(ScrollPagerView view, int margin) {
        view.setPageMargin(margin);
    }

    @ReactProp(name = "overscroll")
    public void setOverscroll(ScrollPagerView view, @Nullable ReadableMap value) {
        if (value == null) {
            view.clearOverscroll();
            return;
        }
        view.setOverscroll(value.getInt("mode"), value.hasKey("tint") && value.getBoolean("tint"));
    }

    @Override
    public void onDropViewInstance(ScrollPagerView view) {
        registry.forget(view);
        super.onDropViewInstance(view);
    }
}
"""


def record_managers(ledger: SqliteLedger) -> None:
    ledger.add_agent_edits([recorded(text, path, f"edit-{i}") for i, (path, text) in enumerate(RECORDED)])


def test_another_view_manager_on_the_same_framework_is_not_a_copy(ledger: SqliteLedger) -> None:
    record_managers(ledger)
    assert regions(ledger, "android/src/main/java/com/example/pager/ScrollPagerManager.java", OTHER_MANAGER) == [], (
        "its names agreeing with a recorded manager are the framework's, which three recorded files hold")


def test_with_one_recorded_manager_its_framework_names_still_count(ledger: SqliteLedger,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """What the rule rests on: the same file, weighed against a ledger where one file alone holds the framework's
    names, is found by its shape and those names (the code base's vocabulary is learnt from the ledger)."""
    path, text = RECORDED[0]
    ledger.add_agent_edits([recorded(text, path)])
    [region] = regions(ledger, "android/src/main/java/com/example/pager/ScrollPagerManager.java", OTHER_MANAGER)
    assert dict(region.origin.extra)["source"] == path
    monkeypatch.setattr(matching, "VOCABULARY_PATHS", 0)
    assert regions(ledger, "android/src/main/java/com/example/pager/ScrollPagerManager.java", OTHER_MANAGER) == []


def test_a_function_copied_into_a_framework_heavy_file_is_still_found(ledger: SqliteLedger) -> None:
    record_managers(ledger)
    ledger.add_agent_edits([recorded(HELPER, "android/src/main/java/com/example/MarkerMath.java", "edit-helper")])
    renamed = (HELPER.replace("bearing", "angle").replace("heading", "course").replace("drift", "skew")
               .replace("geometry", "geo"))
    host = OTHER_MANAGER.replace("    @Override\n    public void onDropViewInstance",
                                 "    " + renamed.replace("\n", "\n    ").rstrip() + "\n\n"
                                 "    @Override\n    public void onDropViewInstance")
    found = regions(ledger, "android/src/main/java/com/example/pager/ScrollPagerManager.java", host)
    start = host.splitlines().index("    static double settleBearing(MarkerGeometry geo, double course, double skew) {")
    assert [dict(r.origin.extra)["source"] for r in found] == ["android/src/main/java/com/example/MarkerMath.java"]
    assert found[0].first_line <= start + 1 and found[0].last_line >= start + 8
