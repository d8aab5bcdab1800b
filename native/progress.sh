#!/usr/bin/env bash
# Shows the progress of a CMake build whose output goes to a log file, until the build's process ends.
#
#   native/progress.sh LOG PID
#
# On a terminal (stderr, or the controlling terminal when Maven pipes stderr): one line, rewritten in
# place, with the percentage CMake prints and the file being compiled. Elsewhere (CI logs): a line at
# every tenth of the way. Compiler warnings stay in LOG.
set -uo pipefail
log=$1; pid=$2

out=""
if [[ -t 2 ]]; then out=/dev/stderr
elif [[ -z "${CI:-}" ]] && { : >/dev/tty; } 2>/dev/null; then out=/dev/tty
fi

last=-1; shown=""
while kill -0 "$pid" 2>/dev/null; do
  sleep 1
  line=$(grep -a -E '^\[ *[0-9]+%\]' "$log" 2>/dev/null | tail -n 1)
  [[ -n "$line" ]] || continue
  pct=$(sed -E 's/^\[ *([0-9]+)%\].*/\1/' <<<"$line")
  what=$(sed -E 's/^\[ *[0-9]+%\] //; s/^Building (C|CXX|CUDA) object //; s/^Linking (C|CXX|CUDA) (static|shared) library //' <<<"$line")
  what=${what##*/}
  if [[ -n "$out" ]]; then
    msg=$(printf '[llava4j native] building llama.cpp %3d%%  %s' "$pct" "$what")
    cols=$( (stty size <"$out" 2>/dev/null || echo "24 100") | cut -d' ' -f2)
    (( cols >= 20 )) 2>/dev/null || cols=100
    [[ "$msg" != "$shown" ]] && printf '\r\033[K%s' "${msg:0:$((cols - 1))}" >"$out"
    shown=$msg
  elif (( pct / 10 > last )); then
    last=$(( pct / 10 ))
    echo "[llava4j native] building llama.cpp: $pct%" >&2
  fi
done
[[ -n "$out" && -n "$shown" ]] && printf '\r\033[K' >"$out"
exit 0
