from __future__ import annotations

import sarcoform as sf


def test_default_brief_solves_and_verifies(foods: sf.FoodTable, spec: sf.ConstraintSet) -> None:
    result = sf.solve(foods, spec)
    assert result.status == "optimal"
    assert result.verification is not None and result.verification.ok
    assert abs(sum(b.grams for b in result.blend_lines) - 60) < 1e-6  # the preset's serving_g


def test_every_public_name_resolves_and_submodules_import() -> None:
    """__all__ (some names load lazily) and `import sarcoform.<package>.<module>` both work."""
    import importlib
    import pkgutil

    for name in sf.__all__:
        assert getattr(sf, name) is not None, name
    assert callable(sf.solve)
    for info in pkgutil.walk_packages(sf.__path__, "sarcoform."):
        if info.name != "sarcoform.__main__":
            importlib.import_module(info.name)
