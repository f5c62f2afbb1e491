#!/usr/bin/env bash
# CPU time (user + sys) the server process spent per request during a wrk run: less
# sensitive to a shared, busy machine than requests/s. Prints path|req/s|p99|us CPU per
# request|1-min load. Usage: scripts/measure/cpu_per_req.sh PID BASE_URL TOKEN PATH...
# (DUR=5s by default; 2 s of discarded warm-up first).
pid=$1 base=$2 token=$3; shift 3
ticks() { awk '{print $14+$15}' /proc/$pid/stat; }
hz=$(getconf CLK_TCK)
for p in "$@"; do
  wrk -t2 -c64 -d2s -H "Authorization: Bearer $token" "$base$p" >/dev/null
  a=$(ticks)
  out=$(wrk -t2 -c64 -d${DUR:-5s} --latency -H "Authorization: Bearer $token" "$base$p")
  b=$(ticks)
  n=$(echo "$out" | awk '/requests in/ {print $1}')
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  echo "$p|$rps|$p99|$(awk -v t=$((b-a)) -v hz=$hz -v n=$n 'BEGIN{printf "%.1f", t/hz*1e6/n}')|$(uptime | sed 's/.*average: //; s/,.*//')"
done
