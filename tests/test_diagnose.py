"""Infeasible briefs whose conflict and cheapest way out are known by construction.

Every expected value is worked out by hand in the case's comment. Independently of
the diagnosis code, each named conflict is re-checked with plain solves: the brief
made of only those constraints is infeasible and dropping any one makes it feasible;
each reported relaxation solves at its `to` value and fails just before it.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

import pytest

import sarcoform as sf
from sarcoform.cli import main
from sarcoform.io.spec_toml import parse_spec_toml
from sarcoform.solve.relax import round_outward

FOODS = """id,name,price_per_kg,protein_g,leucine_g,fat_g,carbohydrate_g
hi_prot,High-protein powder (80 % protein),10,80,8,0,0
lo_prot,Low-protein flour (20 % protein),2,20,1,0,60
filler,Maltodextrin,1,0,0,0,95
leu,Free L-leucine,30,0,100,0,0
oil,Vegetable oil,2,0,0,100,0
"""
# One nutrient per ingredient: a blend meeting all three floors needs all three.
SINGLES = """id,name,price_per_kg,protein_g,fat_g,carbohydrate_g
p,Protein isolate,10,90,0,0
f,Oil,2,0,100,0
k,Starch,1,0,0,95
"""


def table(text: str) -> sf.FoodTable:
    rows = list(csv.reader(io.StringIO(text)))
    return sf.FoodTable.from_records(rows[0], rows[1:], origin="test foods")


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
        spec = parse_spec_toml(self.toml(values, drop), "case.toml")
        return sf.solve(table(self.foods), spec, solver="highs")


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
    spec = parse_spec_toml(case.toml(), "case.toml")
    result = sf.solve(table(case.foods), spec, solver=solver)
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
    spec = parse_spec_toml(COUNT.toml().replace("max_ingredients = 2", "max_ingredients = 3"), "c.toml")
    assert sf.solve(table(SINGLES), spec, solver="highs").status == "optimal"


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
