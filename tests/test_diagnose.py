"""Infeasible briefs whose conflict and cheapest way out are known by construction.

Every expected value is worked out by hand in the case's comment. Independently of
the diagnosis code, each named conflict is re-checked with plain solves: the brief
made of only those constraints is infeasible and dropping any one makes it feasible;
each reported relaxation solves at its `to` value and fails just before it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

import sarcoform as sf
from conftest import cpu_seconds, food_table, set_highs_option
from sarcoform.cli import main
from sarcoform.io.brief_toml import parse_brief_toml
from sarcoform.solving.relax import round_outward

FOODS = """id,name,price_per_kg,protein_g,leucine_g,fat_g,carbohydrate_g,free_leucine_g
hi_prot,High-protein powder (80 % protein),10,80,8,0,0,0
lo_prot,Low-protein flour (20 % protein),2,20,1,0,60,0
filler,Maltodextrin,1,0,0,0,95,0
leu,Free L-leucine,30,0,100,0,0,100
oil,Vegetable oil,2,0,0,100,0,0
"""
# One nutrient per ingredient: a blend meeting all three floors needs all three.
SINGLES = """id,name,price_per_kg,protein_g,fat_g,carbohydrate_g
p,Protein isolate,10,90,0,0
f,Oil,2,0,100,0
k,Starch,1,0,0,95
"""


@dataclass
class Case:
    """A brief as named pieces: `serving` and one TOML fragment per constraint."""

    foods: str
    serving: float | None
    pieces: dict[str, str]  # constraint name → TOML (a {value} slot for the bound moved)
    values: dict[str, float]  # constraint name → its bound value
    head: str = 'name = "case"\nobjective = "min_cost"\n'
    extra: str = ""
    relax: dict[str, float] = field(default_factory=dict)  # constraint → hand-computed `to`

    def toml(self, values: dict[str, float] | None = None, drop: str | None = None) -> str:
        v = {**self.values, **(values or {})}
        out = self.head + self.extra
        if self.serving is not None and drop != "serving mass":
            out += f"[serving]\nserving_g = {v.get('serving mass', self.serving)!r}\n"
        for name, piece in self.pieces.items():
            if name != drop:
                out += piece.format(value=repr(v[name])) + "\n"
        return out

    def solve(self, values: dict[str, float] | None = None, drop: str | None = None) -> sf.Result:
        brief = parse_brief_toml(self.toml(values, drop), "case.toml")
        return sf.solve(food_table(self.foods), brief, solver="highs")


# serving 30 g, protein ≥ 40 g: at most 30 × 0.80 = 24 g protein in 30 g; 40 g protein
# needs at least 40 / 0.80 = 50 g of serving.
PROTEIN = Case(
    FOODS,
    30.0,
    {"protein_g per serving": '[[nutrient]]\nname = "protein"\nmin = {value}'},
    {"protein_g per serving": 40.0, "serving mass": 30.0},
    relax={"protein_g per serving": 24.0, "serving mass": 50.0},
)
# serving 30 g, leucine ≥ 2.5 g per meal, cost ≤ 0.08 per serving. The cheapest leucine
# is free leucine, 0.030 USD/g replacing 0.001 USD/g of filler: cost = 0.03 + 0.029·L.
# So L ≤ 0.05/0.029 = 1.72414 g; 2.5 g costs 0.03 + 0.0725 = 0.1025; and at 2.5 g the
# serving may hold 0.08 − 0.075 = 0.005 USD of filler: 2.5 + 5 = 7.5 g.
LEUCINE = Case(
    FOODS,
    30.0,
    {
        "leucine_g per meal": '[[nutrient]]\nname = "leucine"\nbasis = "meal"\nmin = {value}',
        "cost per serving": "[cost]\nmax = {value}",
    },
    {"leucine_g per meal": 2.5, "cost per serving": 0.08, "serving mass": 30.0},
    relax={"leucine_g per meal": 0.05 / 0.029, "cost per serving": 0.1025, "serving mass": 7.5},
)
# serving 30 g, protein ≥ 70 g per 100 g, hi_prot ≤ 10 g: best is 10 g hi_prot + 20 g
# lo_prot = 12 g protein, 40 per 100 g. 70 per 100 g needs 0.8a + 0.2(30 − a) ≥ 21,
# a ≥ 25 g; or a serving s with (8 + 0.2(s − 10))/s ≥ 0.7, s ≤ 12 g.
PER_100G = Case(
    FOODS,
    30.0,
    {
        "protein_g per 100 g": '[[nutrient]]\nname = "protein"\nbasis = "per_100g"\nmin = {value}',
        "ingredient hi_prot": '[[ingredient]]\nid = "hi_prot"\nmax = {value}',
    },
    {"protein_g per 100 g": 70.0, "ingredient hi_prot": 10.0, "serving mass": 30.0},
    relax={"protein_g per 100 g": 40.0, "ingredient hi_prot": 25.0, "serving mass": 12.0},
)
# Three floors, each met by one ingredient only, and at most two ingredients.
COUNT = Case(
    SINGLES,
    None,
    {
        "protein_g per serving": '[[nutrient]]\nname = "protein"\nmin = {value}',
        "fat_g per serving": '[[nutrient]]\nname = "fat"\nmin = {value}',
        "carbohydrate_g per serving": '[[nutrient]]\nname = "carbohydrate"\nmin = {value}',
    },
    {"protein_g per serving": 10.0, "fat_g per serving": 5.0, "carbohydrate_g per serving": 10.0},
    extra="max_ingredients = 2\n[serving]\nmax_g = 100.0\n",  # a practical brief needs a mass limit
    relax={
        "ingredients used": 3.0,
        "protein_g per serving": 0.0,
        "fat_g per serving": 0.0,
        "carbohydrate_g per serving": 0.0,
    },
)
CASES = {"protein": PROTEIN, "leucine": LEUCINE, "per_100g": PER_100G, "count": COUNT}


@pytest.mark.parametrize("solver", ["cbc", "highs"])
@pytest.mark.parametrize("name", list(CASES))
def test_conflict_is_the_one_built_in(name: str, solver: str) -> None:
    case = CASES[name]
    brief = parse_brief_toml(case.toml(), "case.toml")
    result = sf.solve(food_table(case.foods), brief, solver=solver)
    assert result.status == "infeasible" and result.exit_code == 1
    assert result.diagnosis is not None
    assert set(result.diagnosis.conflict) == set(case.relax)
    assert len(result.diagnosis.explanation) == len(result.diagnosis.conflict)


@pytest.mark.parametrize("name", ["protein", "leucine", "per_100g"])
def test_conflict_is_irreducible_by_plain_solves(name: str) -> None:
    case = CASES[name]
    assert case.solve().status == "infeasible"
    for dropped in case.relax:
        assert case.solve(drop=dropped).status == "optimal", f"still infeasible without {dropped}"


def test_count_conflict_by_enumeration() -> None:
    # No two of the three single-nutrient ingredients meet all three floors; all three do.
    result = COUNT.solve()
    assert result.status == "infeasible"
    brief = parse_brief_toml(COUNT.toml().replace("max_ingredients = 2", "max_ingredients = 3"), "c.toml")
    assert sf.solve(food_table(SINGLES), brief, solver="highs").status == "optimal"


@pytest.mark.parametrize("name", list(CASES))
def test_relaxation_moves_each_bound_exactly_as_far_as_needed(name: str) -> None:
    case = CASES[name]
    result = case.solve()
    assert result.diagnosis is not None
    relaxation = {r["constraint"]: r for r in result.diagnosis.relaxation}
    for constraint, to in case.relax.items():
        entry = relaxation[constraint]
        assert {"constraint", "bound", "from", "to", "text"} <= set(entry)
        assert entry["scope"] == "alone"
        assert entry["to"] == pytest.approx(to, rel=1e-6, abs=1e-6), entry["text"]
        assert entry["from"] == case.values.get(constraint, entry["from"])


@pytest.mark.parametrize("name", ["protein", "leucine", "per_100g"])
def test_each_relaxation_solves_at_to_and_fails_just_before(name: str) -> None:
    case = CASES[name]
    result = case.solve()
    assert result.diagnosis is not None and result.diagnosis.relaxation
    for entry in result.diagnosis.relaxation:
        constraint, to = entry["constraint"], entry["to"]
        tighter = 1e-4 * max(1.0, abs(to)) * (1 if entry["from"] > to else -1)  # back toward `from`
        assert case.solve({constraint: to}).status == "optimal", entry["text"]
        assert case.solve({constraint: to + tighter}).status == "infeasible", entry["text"]


def test_relaxation_text_is_in_the_briefs_words_and_rounded_the_safe_way() -> None:
    result = LEUCINE.solve()
    assert result.diagnosis is not None
    texts = {r["constraint"]: r["text"] for r in result.diagnosis.relaxation}
    assert texts["leucine_g per meal"] == "lower the leucine per meal minimum from 2.5 to 1.72 g (by 0.78 g)"
    assert texts["cost per serving"].startswith("raise the cost per serving cap from 0.08 to 0.103 USD")
    assert texts["serving mass"] == "change serving from 30 to 7.5 g (by 22.5 g)"
    # Shown values never undershoot what is needed: 1.7241 shows as 1.72, 0.1025 as 0.103.
    assert round_outward(1.72413, "down") == 1.72
    assert round_outward(0.1025, "up") == 0.103
    assert round_outward(0.1021, "up") == 0.103
    assert round_outward(12.0, "down") == 12.0


def test_two_independent_conflicts_move_together() -> None:
    # Conflict 1: serving 30 g with protein ≥ 40 g. Conflict 2: fat ≥ 5 g with oil (the
    # only fat) ≤ 1 g. No single bound fixes both: a joint relaxation moves one of each.
    case = Case(
        FOODS,
        30.0,
        {
            "protein_g per serving": '[[nutrient]]\nname = "protein"\nmin = {value}',
            "fat_g per serving": '[[nutrient]]\nname = "fat"\nmin = {value}',
            "ingredient oil": '[[ingredient]]\nid = "oil"\nmax = {value}',
        },
        {
            "protein_g per serving": 40.0,
            "fat_g per serving": 5.0,
            "ingredient oil": 1.0,
            "serving mass": 30.0,
        },
    )
    result = case.solve()
    assert result.status == "infeasible" and result.diagnosis is not None
    relaxation = result.diagnosis.relaxation
    assert relaxation and all(r["scope"] == "together" for r in relaxation)
    moved = {r["constraint"] for r in relaxation}
    assert moved & {"protein_g per serving", "serving mass"}
    assert moved & {"fat_g per serving", "ingredient oil"}
    assert case.solve({r["constraint"]: r["to"] for r in relaxation}).status == "optimal"


def test_diagnosis_in_json_and_summary(
    tmp_path: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    foods = tmp_path / "foods.csv"  # type: ignore[operator]
    brief = tmp_path / "brief.toml"  # type: ignore[operator]
    foods.write_text(FOODS)
    brief.write_text(LEUCINE.toml())
    assert main(["solve", "-f", str(foods), "-c", str(brief), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "infeasible"
    assert set(data["diagnosis"]["conflict"]) == set(LEUCINE.relax)
    for entry in data["diagnosis"]["relaxation"]:
        assert {"constraint", "bound", "from", "to"} <= set(entry)
        assert entry["bound"] in ("min", "max")
    assert main(["solve", "-f", str(foods), "-c", str(brief)]) == 1
    out = capsys.readouterr().out
    assert "leucine ≥ 2.5 g per meal" in out and "cost ≤ 0.08 USD per serving" in out
    assert "any one of these is enough" in out
    assert "lower the leucine per meal minimum from 2.5 to 1.72 g" in out


# -- a time limit bounds the explanation ---------------------------------------------------


def test_with_no_time_left_the_whole_brief_is_the_conflict_and_the_diagnosis_says_so() -> None:
    """No check can run: the conflict reported is every constraint of the brief (which the
    solver proved infeasible), flagged as perhaps not minimal, with no relaxation guessed."""
    from sarcoform.solving.compile import compile_brief
    from sarcoform.solving.diagnose import infeasible

    # PROTEIN's conflict, and a leucine floor that 30 g meets easily (not part of it).
    text = PROTEIN.toml() + '[[nutrient]]\nname = "leucine"\nmin = 1\n'
    compiled = compile_brief(food_table(FOODS), parse_brief_toml(text, "case.toml"))
    rushed = infeasible(compiled, time_limit=0.0)
    assert set(rushed.conflict) == {"serving mass", "protein_g per serving", "leucine_g per serving"}
    assert rushed.relaxation == []
    assert any("proven to conflict, but fewer of them may be enough" in h for h in rushed.hints)
    assert any("before working out how far to move any of them" in h for h in rushed.hints)
    unhurried = infeasible(compiled)
    assert set(unhurried.conflict) == set(PROTEIN.relax)
    assert not any("time limit" in h for h in unhurried.hints)


def test_time_limit_bounds_the_diagnosis_of_a_practical_brief(foods: sf.FoodTable) -> None:
    """At most 5 of the 43 ingredients cannot meet the default brief. Narrowing that down
    runs dozens of MIP checks (15 s here without a limit); with a 1 s limit the solve
    returns promptly and says what it could not finish."""
    brief = sf.load_brief().with_changes(max_ingredients=5)
    started = cpu_seconds()  # CPU, not wall time: a busy machine does not stretch it
    result = sf.solve(foods, brief, solver="highs", time_limit=1.0)
    assert cpu_seconds() - started < 8.0  # generous: the limit, compiling, one last check
    assert result.status == "infeasible" and result.diagnosis is not None
    d = result.diagnosis
    from sarcoform.solving.compile import compile_brief

    assert "ingredients used" in d.conflict
    assert set(d.conflict) <= {b.name for b in compile_brief(foods, brief).bounds}
    assert any("explaining stopped at the time limit" in h for h in d.hints)
    assert any("before working out how far to move" in h for h in d.hints)


def test_a_ray_is_read_only_from_an_optimal_solve(monkeypatch: pytest.MonkeyPatch) -> None:
    """HiGHS stopped after one simplex iteration has a point that is no ray of the brief
    (it breaks fat ≥ 10 per 100 g): the unbounded diagnosis must not name foods from it."""
    import numpy as np

    from sarcoform.solving.compile import compile_brief
    from sarcoform.solving.diagnose import growth_direction

    text = 'name = "u"\nobjective = "max:protein"\n' + "".join(
        f'[[nutrient]]\nname = "{n}"\nbasis = "per_100g"\n{side} = {v}\n'
        for n, side, v in (("fat", "min", 10), ("carbohydrate", "min", 20), ("leucine", "max", 7))
    )
    compiled = compile_brief(food_table(FOODS), parse_brief_toml(text, "u.toml"))
    lp = compiled.lp

    def is_ray(d: np.ndarray) -> bool:
        # Adding d any number of times keeps every row: A·d ≥ 0 below, ≤ 0 above; d ≥ 0.
        ad = lp.A @ d
        lo_ok = np.where(np.isfinite(lp.row_lo), ad >= -1e-9, True)
        hi_ok = np.where(np.isfinite(lp.row_hi), ad <= 1e-9, True)
        return bool(lo_ok.all() and hi_ok.all() and (d >= -1e-12).all() and lp.c @ d < 0)

    full = growth_direction(compiled)
    assert full is not None and is_ray(full)
    set_highs_option(monkeypatch, "simplex_iteration_limit", 1)
    cut_short = growth_direction(compiled)
    assert cut_short is None or is_ray(cut_short)
