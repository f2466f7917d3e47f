#!/usr/bin/env bash
# For CI systems that score a test by its exit status (GitHub Classroom's command grader): exits
# 0 when every student of OUT/class.csv (a `make grade` of one student, say) has all the points
# of lab task N, 1 otherwise, and prints their points.
# Usage: scripts/task-points.sh OUT N
set -euo pipefail
out=$1 task=$2
csv=$out/class.csv
[[ -f $csv ]] || { echo "no $csv: run make grade first" >&2; exit 1; }
awk -F, -v task="task $task" '
    NR == 1 { for (i = 1; i <= NF; i++) if ($i == task) column = i; next }
    !column { print "no column for " task " in class.csv"; exit 1 }
    { rows++; printf "%s: %s points\n", $1, $column; if ($column == "" || $column + 0 < max) short = 1 }
    END { exit (column && rows && !short) ? 0 : 1 }
' max="${MAX:-10}" "$csv"
