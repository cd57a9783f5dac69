# Tasks as step lists, and sleep steps: each iteration runs subscribe, a
# 400 ms sleep and a publish in that order, so the sleep paces the task.
. "$(dirname "$0")/lib.sh"
run_wsgate "$WORK/out" run "$DATA/it/steps.yaml" --serve
expect_rc 0
R="$WORK/out/result.json"
sub=$(jqr "$R" '.steps[] | select(.name=="subscribe again") | .ok')
nap=$(jqr "$R" '.steps[] | select(.name=="nap") | .ok')
pub=$(jqr "$R" '.steps[] | select(.name=="publish after nap") | .ok')
# every publish followed a nap, every nap a subscribe
check "$pub <= $nap && $nap <= $sub"
check "$sub - $pub <= 4"   # at most one unfinished iteration per user
# 4 users x 3 s at >= 500 ms per iteration: no more than 4 x 7 publishes
check "$pub >= 12 && $pub <= 28"
pass "steps: $sub subscribes, $nap naps, $pub publishes"
