"""Batch runs: many products × price scenarios, and multi-blend plans over shared ingredients.

A feature package on top of the core (`model`, `io`, `solving`, `report`), which never
imports it. Modules, in the order data flows through them:

- `inputs`: the typed inputs — Product, PriceScenarios, Availability;
- `files`: product lines, scenarios and availability read from .csv, .toml and .xlsx;
- `entry`: `solve_batch` / `solve_multiblend`, the one place where files, paths, DataFrames
  and mappings become typed inputs;
- `planning`: products × scenarios validated up front and cut into tasks;
- `running`: tasks solved here, in a process pool or on any Executor, journalled;
- `journal`: the resumable JSON-lines journal of finished items;
- `result`: Item and BatchResult (tables, pivots, full Results on demand);
- `multiblend`: one joint LP when products share scarce ingredients;
- `output`: the batch and multi-blend output files; `template`: the example input workbook.
"""
