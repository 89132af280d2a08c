# bench/lib.sh - what the bench scripts share; source it after cd to the
# repository root.

# median of the numbers on stdin (one a line); the mean of the two middle
# ones for an even count.
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# build_pinline DIR builds both binaries into DIR: `pinline` runs the gate
# itself and execs `pinline-full`, which must sit next to it, for every
# other command (docs/architecture.md).
build_pinline() { go build -o "$1/" ./cmd/pinline ./cmd/pinline-full; }

# verify_runs RUNS TIMES OUT CMD... runs a `pinline verify` command RUNS
# times, appending "wall user sys" per run to TIMES; each run must end with
# "Verified" (its output goes to OUT).
verify_runs() {
  local runs=$1 times=$2 out=$3; shift 3
  local TIMEFORMAT='%R %U %S'
  : >"$times"
  for _ in $(seq "$runs"); do
    { time "$@" >"$out"; } 2>>"$times"
    tail -1 "$out" | grep -qx Verified || { echo "pinline verify failed"; tail -3 "$out"; exit 1; }
  done
}

# wall_cpu TIMES prints the median wall and the median CPU (user+sys) of a
# TIMES file.
wall_cpu() { echo "$(awk '{print $1}' "$1" | median) $(awk '{print $2+$3}' "$1" | median)"; }
