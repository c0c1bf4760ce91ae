#!/usr/bin/env bash
# The suite at the instants where a business day is easy to get wrong, in machine zones other than the
# company's (Asia/Shanghai): tests must pass whatever the hour and the zone they run at.
#
#   scripts/test-times.sh [--all] [pytest arguments...]     (default arguments: tests/unit)
#
# Each run starts the test process's clock at the instant (ROUTECRM_TEST_NOW, tests/conftest.py) with TZ set.
# By default each instant runs once, the zones taking turns; --all runs every instant in every zone.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
INSTANTS=(
  2026-12-07T23:59:40+08:00 # just before the company's midnight (it passes during the run)
  2026-12-08T00:00:20+08:00 # just after it
  2026-12-08T06:00:00+08:00 # 06:00 in the company: 22:00 UTC the day before
  2026-11-30T23:59:40+08:00 # the month's end
  2026-12-31T23:59:40+08:00 # the year's end
)
ZONES=(America/Los_Angeles UTC Asia/Shanghai)
ALL=0
if [[ ${1:-} == --all ]]; then
  ALL=1
  shift
fi
ARGS=("$@")
[[ ${#ARGS[@]} -gt 0 ]] || ARGS=(tests/unit)

runs=()
for i in "${!INSTANTS[@]}"; do
  if ((ALL)); then
    for zone in "${ZONES[@]}"; do runs+=("${INSTANTS[$i]} $zone"); done
  else
    runs+=("${INSTANTS[$i]} ${ZONES[$((i % ${#ZONES[@]}))]}")
  fi
done

for run in "${runs[@]}"; do
  read -r instant zone <<<"$run"
  echo "== at $instant, TZ=$zone: ${ARGS[*]}"
  ROUTECRM_TEST_NOW=$instant TZ=$zone $PY -m pytest -q -p no:cacheprovider "${ARGS[@]}"
done
